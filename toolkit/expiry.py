"""When an API key stops working, from what a person types: a lifetime (8h) or a moment (ISO 8601)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from toolkit.errors import Issue, ValidationFailed

LIFETIME = re.compile(r"([0-9]{1,6})\s*([smhdw])", re.ASCII)
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
EXPIRES_HELP = (
    "a lifetime (30m, 8h, 7d, 2w) or an ISO 8601 time (2026-12-31T18:00+01:00; without an offset, UTC)"
)


def expiry(expires: str | datetime | timedelta, now: datetime) -> datetime:
    """When a key given `expires` at `now` stops working: `now` plus a lifetime ("30m", "8h", "7d", "2w", a
    timedelta) or a moment (ISO 8601 text, a datetime; UTC when it names no offset), which must be later.

    >>> expiry("8h", datetime(2026, 12, 1, 9, tzinfo=UTC)).isoformat()
    '2026-12-01T17:00:00+00:00'
    """
    given = expires
    if isinstance(expires, str):
        text = expires.strip().lower()
        lifetime = LIFETIME.fullmatch(text)
        if lifetime is not None:
            expires = timedelta(**{UNITS[lifetime[2]]: int(lifetime[1])})
        else:
            try:
                expires = datetime.fromisoformat(expires.strip().replace("Z", "+00:00"))
            except ValueError:
                raise ValidationFailed(Issue(None, "expires", f"{expires!r} is not {EXPIRES_HELP}")) from None
    try:
        moment = now + expires if isinstance(expires, timedelta) else expires
    except OverflowError:
        raise ValidationFailed(Issue(None, "expires", f"{given} from now is past the year 9999")) from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if moment <= now:
        raise ValidationFailed(
            Issue(None, "expires", f"must be in the future: {moment.isoformat()} has passed")
        )
    return moment
