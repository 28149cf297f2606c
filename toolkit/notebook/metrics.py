"""`qa.metrics`: the sidecar's /v1/metrics aggregates as DataFrames, from the same MetricsService.

Buckets are zero-filled and start at the local midnights (or hours) of `tz`, as timezone-aware datetimes in
that zone; counts are int64 and sums exact decimals (as in `frame()`); group columns keep their frame dtypes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from toolkit import times
from toolkit.errors import Issue, ValidationFailed
from toolkit.frames.schema import pandas_dtype
from toolkit.repositories import AccountRepository, TransactionRepository
from toolkit.services import MetricsService

if TYPE_CHECKING:
    from toolkit.notebook.aio import AsyncToolkit
    from toolkit.notebook.facade import Toolkit

When = datetime | date | str | None
SUMS = pd.ArrowDtype(pa.decimal128(38, 2))


def moment(name: str, value: When, tz: str) -> datetime | None:
    """`start`/`end` as the service takes them: a datetime (wall time in `tz` without tzinfo), a date (its
    midnight in `tz`), or text as the sidecar's `from`/`to` take it (ISO 8601, epoch s or ms)."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    try:
        zone = times.zone(tz)
    except ValueError as error:
        raise ValidationFailed(Issue(None, "tz", str(error))) from None
    try:
        return times.instant(str(value), zone)
    except ValueError:
        raise ValidationFailed(Issue(None, name, f"{value!r} is not a time: use {times.ACCEPTED}")) from None


def frame(rows: list[dict[str, Any]], dtypes: dict[str, Any], tz: str | None = None) -> pd.DataFrame:
    """The service's rows as a DataFrame: `bucket` in zone `tz`, the other columns of `dtypes`."""
    columns: dict[str, Any] = {}
    for name, dtype in dtypes.items():
        values = [r[name] for r in rows]
        if name == "bucket":
            columns[name] = pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("us").tz_convert(tz)
        else:
            columns[name] = pd.array(values, dtype=dtype) if values else pd.Series([], dtype=dtype)
    return pd.DataFrame(columns).reset_index(drop=True)


class AsyncMetrics:
    """`await qa.metrics.signups("day", tz="Europe/Berlin")`: see `Metrics` for each call."""

    def __init__(self, kit: AsyncToolkit) -> None:
        self.kit = kit

    async def _call(self, fn: Callable[[MetricsService], Any]) -> Any:
        return await self.kit.call(MetricsService, fn)

    async def accounts(
        self, *conditions: Any, group_by: str | Sequence[str] = (), limit: int | None = None, **equals: Any
    ) -> pd.DataFrame:
        groups = [g for g in (group_by.split(",") if isinstance(group_by, str) else group_by) if g]
        table = AccountRepository.model_table()
        dtypes = {g: pandas_dtype(table.c[str(AccountRepository.column(g).key)]) for g in groups}
        rows = await self._call(
            lambda s: s.accounts_by(groups, *conditions, *s.accounts.equals(equals), limit=limit)
        )
        return frame(rows, {**dtypes, "count": "int64", "total_balance": SUMS})

    async def signups(
        self, *conditions: Any, bucket: str = "day", start: When = None, end: When = None, tz: str = "UTC",
        **equals: Any,
    ) -> pd.DataFrame:  # fmt: skip
        first, last = moment("start", start, tz), moment("end", end, tz)
        rows = await self._call(
            lambda s: s.signups(bucket, first, last, tz=tz, where=[*conditions, *s.accounts.equals(equals)])
        )
        return frame(rows, {"bucket": None, "signups": "int64"}, times.zone(tz).key)

    async def transactions(
        self, *conditions: Any, bucket: str = "day", start: When = None, end: When = None, tz: str = "UTC",
        group_by: str | None = None, **equals: Any,
    ) -> pd.DataFrame:  # fmt: skip
        if group_by not in (None, "", "kind"):
            raise ValidationFailed(Issue(None, "group_by", f"{group_by!r}: transactions group by kind only"))
        first, last = moment("start", start, tz), moment("end", end, tz)
        by_kind = group_by == "kind"
        rows = await self._call(
            lambda s: s.transactions_per(
                bucket, first, last, by_kind, tz=tz, where=[*conditions, *s.transactions.equals(equals)]
            )
        )
        kind = {"kind": pandas_dtype(TransactionRepository.model_table().c["kind"])} if by_kind else {}
        return frame(rows, {"bucket": None, **kind, "count": "int64", "total": SUMS}, times.zone(tz).key)


class Metrics:
    """The sidecar's aggregates as DataFrames (the same service as /v1/metrics/*):

        >>> qa.metrics.signups(bucket="day", tz="Europe/Berlin", start="2025-03-01", end="2025-03-31")
        >>> qa.metrics.transactions(bucket="hour", group_by="kind", account_id=42)
        >>> qa.metrics.accounts(group_by=["country", "plan"], status="active")

    Keyword arguments are equality filters (a list means IN) and positional ones SQLAlchemy conditions, as in
    `frame()`. `start` and `end` (the last bucket, included) are datetimes, dates or ISO text, wall times in
    `tz` unless they name an offset; without them the series spans the data. Every bucket is present, 0 if
    empty."""

    def __init__(self, kit: Toolkit, aio: AsyncMetrics) -> None:
        self.kit, self._aio = kit, aio

    def accounts(
        self, *conditions: Any, group_by: str | Sequence[str] = (), limit: int | None = None, **equals: Any
    ) -> pd.DataFrame:
        """Count and total balance of the matching accounts per combination of `group_by` (in its order)."""
        return self.kit.run(lambda: self._aio.accounts(*conditions, group_by=group_by, limit=limit, **equals))

    def signups(
        self, *conditions: Any, bucket: str = "day", start: When = None, end: When = None, tz: str = "UTC",
        **equals: Any,
    ) -> pd.DataFrame:  # fmt: skip
        """New accounts per hour, day, week or month of `tz`: columns bucket, signups."""
        return self.kit.run(
            lambda: self._aio.signups(*conditions, bucket=bucket, start=start, end=end, tz=tz, **equals)
        )

    def transactions(
        self, *conditions: Any, bucket: str = "day", start: When = None, end: When = None, tz: str = "UTC",
        group_by: str | None = None, **equals: Any,
    ) -> pd.DataFrame:  # fmt: skip
        """Count and sum of postings per bucket of `tz` (per kind too with `group_by="kind"`)."""
        options: dict[str, Any] = {
            "bucket": bucket,
            "start": start,
            "end": end,
            "tz": tz,
            "group_by": group_by,
        }
        return self.kit.run(lambda: self._aio.transactions(*conditions, **options, **equals))

    def __repr__(self) -> str:
        return "<QueAccount metrics: accounts(), signups(), transactions()>"
