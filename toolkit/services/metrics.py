"""Aggregates for dashboards: account totals per group; time series with every bucket present (0 if empty)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import ColumnElement

from toolkit import times
from toolkit.errors import Issue, ValidationFailed
from toolkit.repositories import AccountRepository, TransactionRepository

BUCKETS = times.UNITS
MAX_BUCKETS = 5000
NOTHING = Decimal("0.00")


def aware(moment: datetime | None, zone: tzinfo) -> datetime | None:
    """`moment` as it is when it names a zone, else read as a wall time in `zone`."""
    return moment if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=zone)


class MetricsService:
    def __init__(self, accounts: AccountRepository, transactions: TransactionRepository) -> None:
        self.accounts, self.transactions = accounts, transactions

    async def accounts_by(
        self, group_by: list[str], *where: ColumnElement[bool], limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Count and total balance of the matching accounts per combination of the `group_by` columns."""
        return await self.accounts.totals_by(group_by, *where, limit=limit, offset=offset)

    async def signups(
        self,
        bucket: str,
        start: datetime | None = None,
        end: datetime | None = None,
        most: int = MAX_BUCKETS,
        *,
        tz: str = "UTC",
        where: Iterable[ColumnElement[bool]] = (),
    ) -> list[dict[str, Any]]:
        """New accounts (those matching `where`) per hour, day, week or month of the zone `tz`, from `start`
        to `end` (default: the data's span; a datetime without tzinfo is a wall time in `tz`); more than
        `most` buckets are refused.

        >>> await metrics.signups("day", datetime(2025, 3, 1), datetime(2025, 3, 31), tz="Europe/Berlin")"""
        rows = await self._series(
            self.accounts, "created_at", None, None, [], bucket, start, end, tz, where, most
        )
        return [{"bucket": r["bucket"], "signups": r["count"]} for r in rows]

    async def transactions_per(
        self,
        bucket: str,
        start: datetime | None = None,
        end: datetime | None = None,
        by_kind: bool = False,
        most: int = MAX_BUCKETS,
        *,
        tz: str = "UTC",
        where: Iterable[ColumnElement[bool]] = (),
    ) -> list[dict[str, Any]]:
        """Count and sum of postings per bucket of the zone `tz` (and per kind with `by_kind`), empty buckets
        as 0; `where` narrows the postings (e.g. `TransactionRepository.column("account_id") == 42`).

        On bounds of whole quarter hours (every bucket of every zone whose offsets are), narrowed by kind at
        most, the sums come from the ledger's rollup that the database keeps (migration 0006); else from the
        ledger itself. Both give the same rows."""
        from toolkit.models.enums import TransactionKind

        kinds = [k.value for k in TransactionKind] if by_kind else []
        group = "kind" if by_kind else None
        rows = await self._series(
            self.transactions, "occurred_at", "amount", group, kinds, bucket, start, end, tz, where, most
        )
        return [
            {
                "bucket": r["bucket"],
                **({"kind": r["grp"]} if by_kind else {}),
                "count": r["count"],
                "total": r["total"],
            }
            for r in rows
        ]

    async def _series(
        self,
        repository: AccountRepository | TransactionRepository,
        time: str,
        value: str | None,
        group: str | None,
        groups: list[str],
        bucket: str,
        start: datetime | None,
        end: datetime | None,
        tz: str,
        where: Iterable[ColumnElement[bool]],
        most: int,
    ) -> list[dict[str, Any]]:
        most, where = min(most, MAX_BUCKETS), list(where)
        if bucket not in BUCKETS:
            raise ValidationFailed(Issue(None, "bucket", f"{bucket!r} is not one of {', '.join(BUCKETS)}"))
        try:
            zone = times.zone(tz)
        except ValueError as error:
            raise ValidationFailed(Issue(None, "tz", str(error))) from None
        start, end = aware(start, zone), aware(end, zone)
        if start is not None and end is not None and end < start:
            raise ValidationFailed(Issue(None, "to", "comes before from"))
        try:
            if start is None or end is None:
                col, seen = repository.column(time), list(where)
                if start is not None:
                    seen.append(col >= times.floor(start, bucket, zone))
                if end is not None:
                    seen.append(col < times.following(times.floor(end, bucket, zone), bucket, zone))
                first, last = await repository.span(time, seen)
                start, end = start or first, end or last
                if start is None or end is None:
                    return []
            bounds = list(islice(times.buckets(bucket, start, end, zone), most + 2))
        except (OverflowError, ValueError):  # a bucket before the year 1 or after 9999: datetime has none
            raise ValidationFailed(
                Issue(None, None, "from and to must stay within the years 1 to 9999")
            ) from None
        if len(bounds) > most + 1:
            raise ValidationFailed(
                Issue(None, "bucket", f"more than {most} points: use a larger bucket or a shorter range")
            )
        found = None
        if repository is self.transactions:
            found = await self.transactions.slot_series(group is not None, bounds, where)
        if found is None:
            found = await repository.series(time=time, value=value, group=group, bounds=bounds, where=where)
        cells = {(r["bucket"], r["grp"]): r for r in found}
        every: list[str | None] = [*groups] or [None]
        return [
            {
                "bucket": moment,
                "grp": g,
                "count": cells.get((i, g), {}).get("count", 0),
                "total": cells.get((i, g), {}).get("total", NOTHING),
            }
            for i, moment in enumerate(bounds[:-1], start=1)
            for g in every
        ]
