"""The ledger's time series from its rollup (migration 0006): the same rows `SeriesQueries.series` counts
from `transactions`, read from the 15-minute UTC slots the database keeps, for bounds on whole slots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Numeric,
    Table,
    Text,
    bindparam,
    cast,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.visitors import replacement_traverse

from toolkit.mixins.series import INSTANTS
from toolkit.models import TransactionModel, TransactionSlotDeltaModel, TransactionSlotModel

SLOT = timedelta(minutes=15)
ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # the migration's date_bin origin
TABLES: tuple[Table, ...] = (TransactionSlotModel.__table__, TransactionSlotDeltaModel.__table__)  # type: ignore[assignment]


def on_slots(bounds: list[datetime]) -> bool:
    """Whether every boundary starts a slot: then each slot lies in one bucket, and the slots' sums are the
    buckets' (a zone whose offset is not whole quarter hours, e.g. a local mean time, gives other bounds)."""
    return all((moment - ORIGIN) % SLOT == timedelta(0) for moment in bounds)


class NotCarried(Exception):
    pass


def on_kind(where: Sequence[ColumnElement[bool]], table: Table) -> list[ColumnElement[bool]] | None:
    """`where` on `table`'s kind instead of the ledger's (the rollup's kind is the ledger's as text), or None
    when a condition names any other column: the rollup does not carry it."""
    ledger = TransactionModel.__table__

    def swap(element: Any, **kw: Any) -> Any:
        if isinstance(element, ColumnClause):
            if element.table is not ledger or element.name != "kind":
                raise NotCarried
            return table.c.kind
        return None

    try:
        return [replacement_traverse(c, {}, swap) for c in where]
    except NotCarried:
        return None


async def series(
    session: AsyncSession, by_kind: bool, bounds: list[datetime], where: Sequence[ColumnElement[bool]] = ()
) -> list[dict[str, Any]] | None:
    """Rows of (bucket, grp, count, total) for the non-empty buckets, as `SeriesQueries.series` gives them
    for the postings between `bounds[0]` and `bounds[-1]` that match `where`; None when a bound is not
    `on_slots` or `where` names a column the rollup does not carry (see `on_kind`)."""
    if not on_slots(bounds):
        return None
    parts = []
    for table in TABLES:
        conditions = on_kind(where, table)
        if conditions is None:
            return None
        c = table.c
        parts.append(
            select(c.slot, c.kind, c.count, c.total).where(
                c.slot >= bounds[0], c.slot < bounds[-1], *conditions
            )
        )
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
