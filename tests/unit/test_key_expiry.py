"""What `keys create --expires` accepts (lifetimes, ISO 8601 times), and clear refusals of anything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from toolkit.errors import ValidationFailed
from toolkit.expiry import expiry

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("30m", NOW + timedelta(minutes=30)),
        ("8h", NOW + timedelta(hours=8)),
        ("8H", NOW + timedelta(hours=8)),
        (" 7d ", NOW + timedelta(days=7)),
        ("2w", NOW + timedelta(weeks=2)),
        ("90s", NOW + timedelta(seconds=90)),
        ("2026-12-31T18:00+01:00", datetime(2026, 12, 31, 17, 0, tzinfo=UTC)),
        ("2026-12-31T18:00Z", datetime(2026, 12, 31, 18, 0, tzinfo=UTC)),
        ("2026-12-31 18:00", datetime(2026, 12, 31, 18, 0, tzinfo=UTC)),  # no offset: UTC
        (timedelta(hours=12), NOW + timedelta(hours=12)),
    ],
)
def test_a_lifetime_or_a_later_moment_gives_the_expiry(given, expected):
    assert expiry(given, NOW) == expected


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("soon", "field 'expires': 'soon' is not a lifetime (30m, 8h, 7d, 2w) or an ISO 8601 time"),
        ("8 hours", "'8 hours' is not a lifetime"),
        ("-8h", "'-8h' is not a lifetime"),
        ("0h", "must be in the future: 2026-12-01T09:00:00+00:00 has passed"),
        ("2026-11-30", "must be in the future: 2026-11-30T00:00:00+00:00 has passed"),
        ("999999w", "999999w from now is past the year 9999"),
    ],
)
def test_anything_else_is_refused_naming_the_field_and_why(given, reason):
    with pytest.raises(ValidationFailed) as refused:
        expiry(given, NOW)
    assert reason in str(refused.value)
