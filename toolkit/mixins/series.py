"""Time series for dashboards: count and sum per UTC day, week or month, every bucket present (0 if empty)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import text

from toolkit.mixins.crud import CRUDMixin, E, M, U

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


class SeriesQueries(CRUDMixin[M, E, U]):
    """`series()`: for repositories whose rows are events in time (signups, postings)."""

    async def series(
        self,
        *,
        time: str,
        value: str | None,
        group: str | None,
        groups: builtins.list[str],
        bucket: str,
        start: datetime | None,
        end: datetime | None,
        most: int,
    ) -> builtins.list[dict[str, Any]]:
        """Rows of (bucket, grp, count, total) from `start` to `end` (default: the data's span): `value`'s
        sum per bucket (None: count only), per value of the `group` column when given (its `groups`)."""
        sql = SERIES.format(
            time=self.column(time).name,
            value=f"t.{self.column(value).name}" if value else "0",
            table=self.table.name,
            group=f"cast(t.{self.column(group).name} as text)" if group else "cast(null as text)",
        )
        every: builtins.list[str | None] = [*groups] or [None]  # no grouping: one series, its group NULL
        params = {"bucket": bucket, "start": start, "end": end, "groups": every, "most": most}
        return [dict(row._mapping) for row in await self.session.execute(text(sql), params)]
