"""The ledger's time series from its rollup (migration 0006): the same rows `SeriesQueries.series` counts
from `transactions`, read from the 15-minute UTC slots the database keeps, for bounds on whole slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Numeric, Text, bindparam, cast, func, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.mixins.series import INSTANTS
from toolkit.models import TransactionSlotDeltaModel, TransactionSlotModel

SLOT = timedelta(minutes=15)
ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # the migration's date_bin origin


def on_slots(bounds: list[datetime]) -> bool:
    """Whether every boundary starts a slot: then each slot lies in one bucket, and the slots' sums are the
    buckets' (a zone whose offset is not whole quarter hours, e.g. a local mean time, gives other bounds)."""
    return all((moment - ORIGIN) % SLOT == timedelta(0) for moment in bounds)


async def series(session: AsyncSession, by_kind: bool, bounds: list[datetime]) -> list[dict[str, Any]]:
    """Rows of (bucket, grp, count, total) for the non-empty buckets, as `SeriesQueries.series` gives them
    for the postings between `bounds[0]` and `bounds[-1]` (which must be `on_slots`)."""
    parts = [
        select(t.slot, t.kind, t.count, t.total).where(t.slot >= bounds[0], t.slot < bounds[-1])
        for t in (TransactionSlotModel, TransactionSlotDeltaModel)
    ]
    rows = union_all(*parts).subquery()
    thresholds = cast(bindparam("bounds", bounds, type_=INSTANTS), INSTANTS)
    bucket = func.width_bucket(rows.c.slot, thresholds).label("bucket")
    grp = (rows.c.kind if by_kind else cast(null(), Text)).label("grp")
    query = select(
        bucket,
        grp,
        cast(func.sum(rows.c.count), BigInteger).label("count"),
        cast(func.coalesce(func.sum(rows.c.total), 0), Numeric(14, 2)).label("total"),
    ).group_by(bucket, grp)
    return [dict(row._mapping) for row in await session.execute(query)]
