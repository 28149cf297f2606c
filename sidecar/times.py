"""The time parameters of the metrics routes (`from`, `to`, `tz`, `bucket`) read from HTTP; 400s name them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from sidecar.grammar import GrammarError
from toolkit import times
from toolkit.errors import ValidationFailed


def moment(name: str, raw: str | None, tz: tzinfo) -> datetime | None:
    """A `from`/`to` value: ISO 8601 (a wall time in `tz` when it names no offset) or epoch s or ms."""
    if raw is None or raw == "":
        return None
    try:
        return times.instant(raw, tz)
    except ValueError:
        raise GrammarError(
            f"{name}={raw}: not a time", hint=f"{name} takes {times.ACCEPTED}; one with no offset is in tz"
        ) from None


def zone(raw: str | None) -> ZoneInfo:
    """The `tz` parameter: an IANA zone name, UTC when absent."""
    try:
        return times.zone(raw or "UTC")
    except ValueError as error:
        raise GrammarError(f"tz={raw}: {error}", hint="tz takes an IANA zone name (tz database)") from None


def bucket_of(raw: str) -> str:
    """The `bucket` parameter: one of hour, day, week, month."""
    if raw not in times.UNITS:
        raise GrammarError(f"bucket={raw}: not one of {', '.join(times.UNITS)}")
    return raw


@contextmanager
def asked() -> Iterator[None]:
    """A service's refusal of a GET's parameters as a 400 naming them (a GET writes nothing to refuse)."""
    try:
        yield
    except ValidationFailed as error:
        issues = "; ".join(f"{i.field}: {i.reason}" if i.field else i.reason for i in error.issues)
        raise GrammarError(issues) from None
