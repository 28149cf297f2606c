"""Time series for dashboards: count and sum per bucket between given boundaries.

The boundaries come from Python's zoneinfo (`toolkit.times.buckets`): local midnights, so a day in which the
clocks change is one bucket of 23 or 25 hours; the database only counts, `width_bucket` placing each row.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Numeric,
    Text,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
)

from toolkit.mixins.crud import CRUDMixin, E, M, U

INSTANTS = ARRAY(DateTime(timezone=True))


class SeriesQueries(CRUDMixin[M, E, U]):
    """`series()` and `span()`: for repositories whose rows are events in time (signups, postings)."""

    async def span(
        self, time: str, where: Iterable[ColumnElement[bool]] = ()
    ) -> tuple[datetime | None, datetime | None]:
        """The first and last `time` of the rows matching `where` (None, None when there are none)."""
        col = self.column(time)
        first, last = (await self.session.execute(select(func.min(col), func.max(col)).where(*where))).one()
        return first, last

    async def series(
        self,
        *,
        time: str,
        value: str | None,
        group: str | None,
        bounds: builtins.list[datetime],
        where: Iterable[ColumnElement[bool]] = (),
    ) -> builtins.list[dict[str, Any]]:
        """Rows of (bucket, grp, count, total) for the non-empty buckets: `bucket` is 1 for the rows from
        `bounds[0]` up to `bounds[1]` (excluded), and so on; `value`'s sum per bucket (None: 0), per value of
        the `group` column when given."""
        col = self.column(time)
        thresholds = cast(bindparam("bounds", bounds, type_=INSTANTS), INSTANTS)
        bucket = func.width_bucket(col, thresholds).label("bucket")
        grp = (cast(self.column(group), Text) if group else cast(null(), Text)).label("grp")
        total = func.sum(self.column(value)) if value else literal(0)
        query = (
            select(
                bucket,
                grp,
                func.count().label("count"),
                cast(func.coalesce(total, 0), Numeric(14, 2)).label("total"),
            )
            .where(*where, col >= bounds[0], col < bounds[-1])
            .group_by(bucket, grp)
        )
        return [dict(row._mapping) for row in await self.session.execute(query)]
