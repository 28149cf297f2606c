"""toolkit.times: instants in the forms dashboards send, zones by IANA name, buckets across clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from toolkit.times import buckets, instant, zone

NEW_YEAR = datetime(2025, 1, 1, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def length(start: datetime, end: datetime) -> timedelta:
    """Real time between two datetimes (two of one zone subtract as wall times in Python)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def test_thirteen_digits_are_milliseconds_fewer_are_seconds_and_iso_is_as_before():
    assert instant("1735689600000") == instant("1735689600") == instant("2025-01-01") == NEW_YEAR
    assert instant("2025-01-01T01:00:00+01:00") == instant("2025-01-01T00:00:00Z") == NEW_YEAR
    assert instant("99999999999") == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=99999999999)
    assert instant("100000000000") == datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC)  # 10**11: milliseconds
    assert instant("0") == datetime(1970, 1, 1, tzinfo=UTC)
    assert instant("2025-01-01", BERLIN) == datetime(2024, 12, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "yesterday",
        "9999999999999999",
        "-9999999999999999",
        "1" * 5000,
        "11111111111111111",  # Python's fromisoformat reads this as 1111-11-11 11:11:11.111111
        "1e12",
        "1735689600.5",
        "\u0661\u0662\u0663\u0664",
        "2025-13-01",
    ],
)
def test_anything_else_is_a_value_error_never_an_overflow(raw):
    with pytest.raises(ValueError, match=r"."):
        instant(raw)


def test_zones_are_iana_names_and_utc_in_any_case():
    assert zone("Europe/Berlin") == BERLIN
    assert zone("utc") == zone("UTC") == ZoneInfo("UTC")
    for name in ("Mars/Olympus_Mons", "../../etc/passwd", "localtime", "europe/berlin", "", "\x00"):
        with pytest.raises(ValueError, match="not an IANA time zone"):
            zone(name)


def test_a_day_in_which_the_clocks_change_is_one_bucket_of_23_or_25_hours():
    spring = list(
        buckets(
            "day", datetime(2025, 3, 30, 12, tzinfo=BERLIN), datetime(2025, 3, 30, 13, tzinfo=BERLIN), BERLIN
        )
    )
    autumn = list(
        buckets(
            "day",
            datetime(2025, 10, 26, 12, tzinfo=BERLIN),
            datetime(2025, 10, 26, 13, tzinfo=BERLIN),
            BERLIN,
        )
    )
    assert length(*spring) == timedelta(hours=23) and length(*autumn) == timedelta(hours=25)
    hours = list(
        buckets(
            "hour", datetime(2025, 10, 26, tzinfo=BERLIN), datetime(2025, 10, 26, 23, tzinfo=BERLIN), BERLIN
        )
    )
    assert len(hours) == 25 + 1 and all(length(a, b) == timedelta(hours=1) for a, b in pairwise(hours))
    assert [h.strftime("%H%z") for h in hours[2:5]] == ["02+0200", "02+0100", "03+0100"]


def test_weeks_start_on_monday_and_months_on_the_first_at_local_midnight():
    new_york = zone("America/New_York")
    week, _ = buckets(
        "week", datetime(2025, 3, 12, tzinfo=new_york), datetime(2025, 3, 12, tzinfo=new_york), new_york
    )
    months = list(
        buckets(
            "month", datetime(2025, 11, 5, tzinfo=new_york), datetime(2026, 1, 5, tzinfo=new_york), new_york
        )
    )
    assert week == datetime(2025, 3, 10, tzinfo=new_york) and week.weekday() == 0
    assert [m.date().isoformat() for m in months] == ["2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"]


def test_half_hour_zones_have_hours_that_start_at_half_past_utc():
    first, _ = buckets("hour", NEW_YEAR, NEW_YEAR, zone("Asia/Kolkata"))
    assert first.astimezone(UTC) == datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
