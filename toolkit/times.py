"""Instants and time zones as dashboards send them, and the calendar buckets of a time series.

>>> instant("1735689600000") == instant("1735689600") == instant("2025-01-01")
True
>>> berlin = zone("Europe/Berlin")
>>> days = buckets("day", instant("2025-03-30", berlin), instant("2025-03-31", berlin), berlin)
>>> [b.isoformat() for b in days]
['2025-03-30T00:00:00+01:00', '2025-03-31T00:00:00+02:00', '2025-04-01T00:00:00+02:00']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

ACCEPTED = (
    "an ISO 8601 date or timestamp (2025-01-31, 2025-01-31T12:00:00+01:00) "
    "or epoch seconds or milliseconds (1735689600, 1735689600000)"
)
UNITS = ("hour", "day", "week", "month")
MILLIS = 10**11  # from here up an epoch is milliseconds: 10**11 seconds would be the year 5138
EPOCH = re.compile(r"-?[0-9]+", re.ASCII)  # never ISO's basic format (20250131): digits alone are an epoch
LONGEST = 16  # digits: milliseconds up to the year 9999 take 15
ONE_HOUR = timedelta(hours=1)


def instant(raw: str, tz: tzinfo = UTC) -> datetime:
    """A timezone-aware datetime from ISO 8601 (in `tz` when it names no offset) or an epoch integer
    (milliseconds when >= 10**11, else seconds); anything else, or a moment outside the years 1 to 9999, is a
    ValueError."""
    if EPOCH.fullmatch(raw):
        if len(raw.lstrip("-")) > LONGEST:
            raise ValueError(f"{raw[:20]}...: beyond the years 1 to 9999")
        number = int(raw)
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + (
                timedelta(milliseconds=number) if abs(number) >= MILLIS else timedelta(seconds=number)
            )
        except OverflowError:
            raise ValueError(f"{raw}: beyond the years 1 to 9999") from None
    if not raw.isascii() or not raw[:4].isdigit():
        raise ValueError(f"{raw!r} is not a time")
    moment = datetime.fromisoformat(raw.replace(" ", "+").replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


@cache
def zones() -> frozenset[str]:
    """The IANA zone names zoneinfo knows; not `localtime`, which is whatever zone the server is in."""
    return frozenset(available_timezones()) - {"localtime", "posixrules"}


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (`utc` in any case is UTC, as Grafana sends it); an unknown one: ValueError."""
    if name.upper() == "UTC":
        return ZoneInfo("UTC")
    if name not in zones():
        raise ValueError(f"{name!r} is not an IANA time zone, e.g. UTC or Europe/Berlin")
    return ZoneInfo(name)


def floor(moment: datetime, unit: str, tz: ZoneInfo) -> datetime:
    """The start of the bucket holding `moment`, in `tz`: weeks start on Monday, as in ISO 8601."""
    local = moment.astimezone(tz)
    if unit == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.date() - timedelta(days=local.weekday() if unit == "week" else 0)
    day = day.replace(day=1) if unit == "month" else day
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def following(start: datetime, unit: str, tz: ZoneInfo) -> datetime:
    """The start of the bucket after the one starting at `start`: an hour later, or a later local midnight."""
    if unit == "hour":
        return (start.astimezone(UTC) + ONE_HOUR).astimezone(tz)
    if unit == "month":
        year, month = divmod(start.year * 12 + start.month, 12)
        return datetime(year, month + 1, 1, tzinfo=tz)
    return datetime.combine(start.date() + timedelta(days=7 if unit == "week" else 1), start.time(), tz)


def buckets(unit: str, start: datetime, end: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    """The starts of the `unit` buckets from the one holding `start` to the one holding `end`, and the end of
    that last one (so n buckets give n + 1 boundaries): local midnights in `tz`, so a day in which the clocks
    change lasts 23 or 25 hours. Past the year 9999 it stops (OverflowError or ValueError)."""
    current, last = floor(start, unit, tz), floor(end, unit, tz).astimezone(UTC)
    while current.astimezone(UTC) <= last:  # not `current <= last`: in one zone, Python compares wall times
        yield current
        current = following(current, unit, tz)
    yield current
