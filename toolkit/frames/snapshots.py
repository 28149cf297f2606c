"""The task side of a Dask frame: a snapshot held open, and the reads of one id range on it.

The holder is a REPEATABLE READ, READ ONLY transaction of the reader role that exports its snapshot; each
partition task opens its own connection with the reader's URL and imports that snapshot (`SET TRANSACTION
SNAPSHOT`) before its COPY, so every partition sees the table as it was when the snapshot was taken. A task is
a plain function of picklable values (no Dask here): it carries the reader's URL, password included, and
never shows it in its repr.
"""

from __future__ import annotations

import asyncio
import enum
import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql
from sqlalchemy import Column, Enum, MetaData, Table, select

from toolkit.errors import QueAccountError
from toolkit.frames.read import BLOCK_ROWS, copy_arrow, wire_schema
from toolkit.frames.schema import empty_frame, to_pandas

HOLDER = "queaccount-dask-snapshot"
PARTITION = "queaccount-dask-partition"


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


def enum_values(kind: type[enum.Enum]) -> list[Any]:
    return [member.value for member in kind]


def wire_schema_of(table: Table, names: list[str]) -> pa.Schema:
    return wire_schema(table, select(*(table.c[n] for n in names)))
