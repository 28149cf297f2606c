"""Dask frames: a resource's rows as id-range partitions with known divisions, each read by the COPY → Arrow
path of `frame()`, all on one exported snapshot (toolkit/frames/snapshots.py holds it and reads the ranges).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import dask
import dask.dataframe as dd
from sqlalchemy import BigInteger, Select, Table, bindparam, func, null, select, tablesample
from sqlalchemy.sql.util import ClauseAdapter

from toolkit.frames.schema import empty_frame
from toolkit.frames.snapshots import (
    PartitionRead,
    Snapshot,
    SnapshotReleased,
    columns,
    read_partition,
    released,
    wire_schema_of,
)

Compiler = Callable[[Select[Any]], tuple[str, dict[str, Any]]]
# Above twice this many rows, the id quantiles come from a block sample of about this many (no full sort).
SAMPLED_ROWS = 200_000


class SnapshotFrame(dd.DataFrame):
    """A Dask DataFrame read on one snapshot. The snapshot is released after this frame's first
    `compute()` or `persist()`, by `release()`, at the end of a `with` block, or when the frame is dropped;
    frames derived from it (`ddf.groupby(...)`) need it held: compute them inside `with`, or persist first."""

    def compute(self, **kwargs: Any) -> Any:
        self.check_held()
        try:
            return super().compute(**kwargs)
        finally:
            self.release()

    def persist(self, fuse: bool = True, **kwargs: Any) -> Any:
        self.check_held()
        try:
            persisted = super().persist(fuse=fuse, **kwargs)
            from distributed import futures_of, wait

            if futures := futures_of(persisted):
                wait(futures)  # every partition has read its rows (the snapshot is no longer needed)
            return persisted
        finally:
            self.release()

    def release(self) -> None:
        """End the transaction that holds the snapshot (idempotent)."""
        self._held().release()

    def check_held(self) -> None:
        if self._held().released:
            raise SnapshotReleased(released(self._held().table))

    def _held(self) -> Snapshot:
        held: Snapshot = object.__getattribute__(self, "_snapshot")
        return held

    def __enter__(self) -> SnapshotFrame:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def id_stats(query: Select[Any], table: Table, npartitions: int, percent: float | None) -> Select[Any]:
    """min(id) and max(id) of the query's rows, and their inner quantiles: exact, or of a block sample of
    `percent` of the table (the quantiles only balance the partitions; the bounds decide what is read)."""
    ids = query.order_by(None).limit(None).with_only_columns(query.selected_columns.id)
    every = ids.subquery()
    if percent is not None:
        sample = tablesample(table, func.system(percent), seed=bindparam("seed", 20261201))
        ids = ClauseAdapter(sample).traverse(ids)
    sampled = ids.subquery()
    fractions = [i / npartitions for i in range(1, npartitions)]
    inner = func.percentile_disc(bindparam("fractions", fractions)).within_group(sampled.c.id)
    return select(
        select(func.min(every.c.id)).scalar_subquery(),
        select(func.max(every.c.id)).scalar_subquery(),
        select(inner).scalar_subquery() if fractions else null(),
    )


def sample_percent(estimated_rows: float) -> float | None:
    """What share of a table of this many rows (the planner's estimate) to sample for the quantiles."""
    return None if estimated_rows <= 2 * SAMPLED_ROWS else 100 * SAMPLED_ROWS / estimated_rows


def divisions(low: int | None, high: int | None, inner: list[int] | None, npartitions: int) -> list[int]:
    """Sorted, distinct division ids from min to max (evenly spaced ids when the sample found none)."""
    if low is None or high is None:
        return []
    if low == high:
        return [low, high]
    if not inner:
        inner = [low + (high - low) * i // npartitions for i in range(1, npartitions)]
    return sorted({low, high, *(i for i in inner if low < i < high)})


def partition_bounds(edges: list[int]) -> list[tuple[int, int]]:
    """(low, high) id bounds, high excluded, of the partitions between these divisions (the last one
    includes its upper division, as Dask's last partition does); one empty partition when there are none."""
    if not edges:
        return [(0, 0)]
    return [*pairwise(edges[:-1]), (edges[-2], edges[-1] + 1)]


def open_frame(
    conninfo: str, table: Table, query: Select[Any], compiler: Compiler, npartitions: int, label: str
) -> SnapshotFrame:
    """The frame of `query`'s rows (columns of `table`, `id` among them) in `npartitions` id ranges.
    `compiler(select)` gives psycopg's SQL text and parameters."""
    snapshot = Snapshot(conninfo, table.name)
    try:
        [(estimate,)] = snapshot.rows(
            "SELECT reltuples FROM pg_class WHERE oid = %(t)s::regclass", {"t": table.name}
        )
        stats_sql, stats_params = compiler(id_stats(query, table, npartitions, sample_percent(estimate)))
        [(low, high, inner)] = snapshot.rows(stats_sql, stats_params)
        key = query.selected_columns.id
        bounded = query.where(  # still ordered by id, as frame() is (an update moves a row in the heap)
            key >= bindparam("dask_low", 0, BigInteger), key < bindparam("dask_high", 0, BigInteger)
        )
        part_sql, part_params = compiler(bounded)
        names = [c.name for c in query.selected_columns]
        read = PartitionRead(
            conninfo, snapshot.id, part_sql, part_params, wire_schema_of(table, names), columns(table, names)
        )
        edges = divisions(low, high, inner, npartitions)
        with dask.config.set({"dataframe.convert-string": False}):  # the dtypes are frame()'s, JSON too
            frame = dd.from_map(
                read_partition,
                partition_bounds(edges),
                args=[read],
                meta=empty_frame(read.table, names).set_index("id"),
                divisions=edges or (None, None),
                label=f"queaccount-{label}",
                enforce_metadata=False,
            )
    except BaseException:
        snapshot.release()
        raise
    out = SnapshotFrame(frame.expr)
    object.__setattr__(out, "_snapshot", snapshot)
    weakref.finalize(out, snapshot.release)
    return out


__all__ = ["SnapshotFrame", "SnapshotReleased", "open_frame"]
