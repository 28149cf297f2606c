"""Aggregates for dashboards: account totals per group; time series with every bucket present (0 if empty)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, text

from toolkit.errors import Issue, ValidationFailed
from toolkit.repositories import AccountRepository, TransactionRepository

BUCKETS = ("day", "week", "month")
MAX_BUCKETS = 5000

# Buckets are UTC calendar days/weeks/months; generate_series fills the gaps so charts show zeros.
SERIES = """
with p as (
    select cast(:bucket as text) as unit, cast('1 ' || :bucket as interval) as step,
           date_trunc(:bucket, cast(:start as timestamptz) at time zone 'UTC') as lo,
           date_trunc(:bucket, cast(:end as timestamptz) at time zone 'UTC') as hi
), agg as (
    select date_trunc(p.unit, t.{time} at time zone 'UTC') as bucket, {group} as grp,
           count(*) as count, coalesce(sum({value}), 0) as total
    from {table} t, p
    where (p.lo is null or t.{time} >= p.lo at time zone 'UTC')
      and (p.hi is null or t.{time} < (p.hi + p.step) at time zone 'UTC')
    group by 1, 2
), series as (
    select generate_series(coalesce(p.lo, (select min(bucket) from agg)),
                           coalesce(p.hi, (select max(bucket) from agg)), p.step) as bucket
    from p
), groups as (
    select unnest(cast(:groups as text[])) as grp
)
select s.bucket at time zone 'UTC' as bucket, g.grp,
       coalesce(a.count, 0) as count, cast(coalesce(a.total, 0) as numeric(14, 2)) as total
from series s cross join groups g
left join agg a on a.bucket = s.bucket and a.grp is not distinct from g.grp
order by s.bucket, g.grp
limit :most
"""


def utc(moment: datetime | None) -> datetime | None:
    return None if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class MetricsService:
    def __init__(self, accounts: AccountRepository, transactions: TransactionRepository) -> None:
        self.accounts, self.transactions = accounts, transactions

    async def accounts_by(self, group_by: list[str], *where: ColumnElement[bool]) -> list[dict[str, Any]]:
        """Count and total balance of the matching accounts per combination of the `group_by` columns."""
        groups = [self.accounts.column(name) for name in group_by]
        balance = self.accounts.table.c.balance
        query = (
            select(
                *groups,
                func.count().label("count"),
                func.coalesce(func.sum(balance), 0).label("total_balance"),
            )
            .where(*where)
            .group_by(*groups)
            .order_by(*groups)
        )
        return [dict(row._mapping) for row in await self.accounts.session.execute(query)]

    async def signups(
        self, bucket: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        """New accounts per UTC day, week or month from `start` to `end` (default: the data's span)."""
        rows = await self._series(self.accounts, "created_at", "1", None, [], bucket, start, end)
        return [{"bucket": r["bucket"], "signups": r["count"]} for r in rows]

    async def transactions_per(
        self, bucket: str, start: datetime | None = None, end: datetime | None = None, by_kind: bool = False
    ) -> list[dict[str, Any]]:
        """Count and sum of postings per bucket (and per kind with `by_kind`), empty buckets as 0."""
        from toolkit.models.enums import TransactionKind

        kinds = [k.value for k in TransactionKind] if by_kind else []
        rows = await self._series(
            self.transactions, "occurred_at", "amount", "kind" if by_kind else None, kinds, bucket, start, end
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
        repository: Any,
        time: str,
        value: str,
        group: str | None,
        groups: list[str],
        bucket: str,
        start: datetime | None,
        end: datetime | None,
    ) -> list[dict[str, Any]]:
        if bucket not in BUCKETS:
            raise ValidationFailed(Issue(None, "bucket", f"{bucket!r} is not one of {', '.join(BUCKETS)}"))
        start, end = utc(start), utc(end)
        if start is not None and end is not None and end < start:
            raise ValidationFailed(Issue(None, "to", "comes before from"))
        sql = SERIES.format(
            time=repository.column(time).name,
            value=value,
            table=repository.table.name,
            group=f"cast(t.{repository.column(group).name} as text)" if group else "cast(null as text)",
        )
        params: dict[str, Any] = {
            "bucket": bucket,
            "start": start,
            "end": end,
            "groups": groups or [None],
            "most": MAX_BUCKETS + 1,
        }
        rows = [dict(r._mapping) for r in await repository.session.execute(text(sql), params)]
        if len(rows) > MAX_BUCKETS:
            raise ValidationFailed(
                Issue(
                    None, "bucket", f"more than {MAX_BUCKETS} points: use a larger bucket or a shorter range"
                )
            )
        return rows
