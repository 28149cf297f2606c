"""Aggregates for dashboards: account totals per group; time series with every bucket present (0 if empty)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement

from toolkit.errors import Issue, ValidationFailed
from toolkit.repositories import AccountRepository, TransactionRepository

BUCKETS = ("day", "week", "month")
MAX_BUCKETS = 5000


def utc(moment: datetime | None) -> datetime | None:
    return None if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class MetricsService:
    def __init__(self, accounts: AccountRepository, transactions: TransactionRepository) -> None:
        self.accounts, self.transactions = accounts, transactions

    async def accounts_by(
        self, group_by: list[str], *where: ColumnElement[bool], limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Count and total balance of the matching accounts per combination of the `group_by` columns."""
        return await self.accounts.totals_by(group_by, *where, limit=limit, offset=offset)

    async def signups(
        self, bucket: str, start: datetime | None = None, end: datetime | None = None, most: int = MAX_BUCKETS
    ) -> list[dict[str, Any]]:
        """New accounts per UTC day, week or month from `start` to `end` (default: the data's span); more
        than `most` buckets are refused."""
        rows = await self._series(self.accounts, "created_at", None, None, [], bucket, start, end, most)
        return [{"bucket": r["bucket"], "signups": r["count"]} for r in rows]

    async def transactions_per(
        self,
        bucket: str,
        start: datetime | None = None,
        end: datetime | None = None,
        by_kind: bool = False,
        most: int = MAX_BUCKETS,
    ) -> list[dict[str, Any]]:
        """Count and sum of postings per bucket (and per kind with `by_kind`), empty buckets as 0."""
        from toolkit.models.enums import TransactionKind

        kinds = [k.value for k in TransactionKind] if by_kind else []
        rows = await self._series(
            self.transactions,
            "occurred_at",
            "amount",
            "kind" if by_kind else None,
            kinds,
            bucket,
            start,
            end,
            most,
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
        most: int,
    ) -> list[dict[str, Any]]:
        most = min(most, MAX_BUCKETS)
        if bucket not in BUCKETS:
            raise ValidationFailed(Issue(None, "bucket", f"{bucket!r} is not one of {', '.join(BUCKETS)}"))
        start, end = utc(start), utc(end)
        if start is not None and end is not None and end < start:
            raise ValidationFailed(Issue(None, "to", "comes before from"))
        rows = await repository.series(
            time=time,
            value=value,
            group=group,
            groups=groups,
            bucket=bucket,
            start=start,
            end=end,
            most=most + 1,
        )
        if len(rows) > most:
            raise ValidationFailed(
                Issue(None, "bucket", f"more than {most} points: use a larger bucket or a shorter range")
            )
        return rows
