"""Dask frames: a resource's rows as id-range partitions, each read by the COPY → Arrow path of `frame()`,
all on one snapshot exported by a transaction the toolkit holds open.

The holder is a REPEATABLE READ, READ ONLY transaction of the reader role; each partition task opens its own
connection with the reader's URL and imports the snapshot (`SET TRANSACTION SNAPSHOT`), so every partition
sees the table as it was when `to_dask()` was called. Tasks are plain functions of picklable values, so they
run on any Dask scheduler; they carry the reader's URL, password included (it is never in their repr).
"""

from __future__ import annotations

import asyncio
import enum
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql
from sqlalchemy import (
    BigInteger,
    Column,
    Enum,
    MetaData,
    Select,
    Table,
    bindparam,
    func,
    null,
    select,
    tablesample,
)
from sqlalchemy.sql.util import ClauseAdapter

from toolkit.errors import QueAccountError
from toolkit.frames.read import BLOCK_ROWS, copy_arrow, wire_schema
from toolkit.frames.schema import empty_frame, to_pandas

Compiler = Callable[[Select[Any]], tuple[str, dict[str, Any]]]
HOLDER = "queaccount-dask-snapshot"
PARTITION = "queaccount-dask-partition"
# Above twice this many rows, the id quantiles come from a block sample of about this many (no full sort).
SAMPLED_ROWS = 200_000


class SnapshotReleased(QueAccountError):
    """A Dask frame's partition ran after its snapshot was released (see `to_dask()`)."""


def released(table: str) -> str:
    return (
        f"the snapshot of this Dask frame of {table} was released (after its first compute() or persist(),"
        " release(), or its with block): call to_dask() again for a new read"
    )


@dataclass(frozen=True, eq=False)
class PartitionRead:
    """What every partition task of one frame shares (picklable; the URL never shows in its repr)."""

    conninfo: str = field(repr=False)
    snapshot: str
    sql: str  # the filtered query with `%(dask_low)s <= id < %(dask_high)s`, for psycopg
    params: dict[str, Any] = field(repr=False)
    schema: pa.Schema = field(repr=False)
    table: Table = field(repr=False)  # the selected columns only, for their dtypes

    def __dask_tokenize__(self) -> tuple[str, str]:
        return self.snapshot, self.sql


def read_partition(bounds: tuple[int, int], read: PartitionRead) -> pd.DataFrame:
    """The rows with `bounds[0] <= id < bounds[1]`, on the frame's snapshot, indexed by id."""
    return asyncio.run(_read(read, *bounds))


async def _read(read: PartitionRead, low: int, high: int) -> pd.DataFrame:
    conn = await psycopg.AsyncConnection.connect(read.conninfo, application_name=PARTITION)
    async with conn:
        await conn.set_isolation_level(psycopg.IsolationLevel.REPEATABLE_READ)
        await conn.set_read_only(True)
        try:
            await conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(read.snapshot)))
        except psycopg.errors.InvalidParameterValue:
            raise SnapshotReleased(released(read.table.name)) from None
        bounded = {**read.params, "dask_low": low, "dask_high": high}
        parts = [part async for part in copy_arrow(conn, read.sql, bounded, read.schema, BLOCK_ROWS)]
    names = read.schema.names
    frame = to_pandas(pa.concat_tables(parts), read.table) if parts else empty_frame(read.table, names)
    return frame.set_index("id")


class Snapshot:
    """The open transaction whose exported snapshot the partitions import; `release()` ends it."""

    def __init__(self, conninfo: str, table: str) -> None:
        self.table = table
        self._lock = threading.Lock()
        self.conn: psycopg.Connection[Any] | None = psycopg.connect(conninfo, application_name=HOLDER)
        self.conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        self.conn.read_only = True
        self.id = str(self.rows("SELECT pg_export_snapshot()", {})[0][0])

    def rows(self, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        assert self.conn is not None, "released"
        return self.conn.execute(statement, params).fetchall()

    def release(self) -> None:
        with self._lock:
            conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.rollback()  # a round trip: once it returns, no transaction holds the snapshot
            except psycopg.Error:
                pass  # a lost connection holds nothing either
            finally:
                conn.close()

    @property
    def released(self) -> bool:
        return self.conn is None


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
        bounded = query.order_by(None).where(
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


def columns(table: Table, names: list[str]) -> Table:
    """A copy of `table` with only these columns and no constraints: what the tasks need for the dtypes,
    small and plainly picklable (an enum's values are given by a module-level function)."""
    return Table(
        table.name,
        MetaData(),
        *(Column(n, plain(table.c[n].type), nullable=table.c[n].nullable) for n in names),
    )


def plain(kind: Any) -> Any:
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return Enum(kind.enum_class, name=kind.name, native_enum=False, values_callable=enum_values)
    return kind


def enum_values(enum: type[enum.Enum]) -> list[Any]:
    return [member.value for member in enum]


def wire_schema_of(table: Table, names: list[str]) -> pa.Schema:
    return wire_schema(table, select(*(table.c[n] for n in names)))
