"""Reads of many rows: `COPY (query) TO STDOUT` straight into Arrow, never through ORM objects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import ARRAY, BigInteger, Select, Table, Text, any_, bindparam, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.frames.copy_out import copy_blocks
from toolkit.frames.schema import arrow_schema, empty_frame, to_pandas

Progress = Callable[[int], None]
BLOCK_ROWS = 50_000


async def driver_connection(session: AsyncSession) -> Any:
    """The psycopg AsyncConnection under the session's current transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


def with_ids(table: Table, ids: Iterable[int]) -> Select[Any]:
    """Every column of `table`'s rows with these ids, as ONE text parameter however many ids there are
    (psycopg quotes a list of a million integers one by one, which takes it a second)."""
    joined = bindparam("ids", value=",".join(map(str, ids)), type_=Text)
    wanted = cast(func.string_to_array(joined, ","), ARRAY(BigInteger))
    return select(table).where(table.c.id == any_(wanted))


def compile_query(session: AsyncSession, query: Select[Any]) -> tuple[str, dict[str, Any]]:
    """SQL text and parameters for psycopg; values stay parameters (merged by psycopg's own adapters)."""
    bind = session.get_bind()
    compiled = query.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    params = {
        k: (v.value if hasattr(v, "value") and not isinstance(v, str) else v)
        for k, v in compiled.params.items()
    }
    return str(compiled), params


def wire_schema(table: Table, query: Select[Any]) -> pa.Schema:
    """The Arrow schema reads produce: text as large_string, what pandas' string dtype holds (no cast)."""
    schema = arrow_schema(table, [c.name for c in query.selected_columns])
    return pa.schema(f.with_type(pa.large_string()) if pa.types.is_string(f.type) else f for f in schema)


def parse_csv(data: bytes, schema: pa.Schema) -> pa.Table:
    options = pacsv.ConvertOptions(
        column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False
    )
    read = pacsv.ReadOptions(column_names=schema.names, block_size=1 << 24, use_threads=False)
    return pacsv.read_csv(pa.BufferReader(data), read_options=read, convert_options=options)


async def arrow_blocks(
    session: AsyncSession, table: Table, query: Select[Any], block_rows: int
) -> AsyncIterator[pa.Table]:
    """The query's rows as Arrow tables of at most `block_rows` rows, each parsed as soon as it arrives."""
    schema = wire_schema(table, query)
    sql, params = compile_query(session, query)
    conn = await driver_connection(session)
    loop = asyncio.get_running_loop()
    parsing: asyncio.Future[pa.Table] | None = None
    # Each block is parsed on a worker thread (pyarrow releases the GIL) while the next one is received.
    async for data, _ in copy_blocks(conn, f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params, block_rows):
        parsed = loop.run_in_executor(None, parse_csv, data, schema)
        if parsing is not None:
            yield await parsing
        parsing = parsed
    if parsing is not None:
        yield await parsing


async def read_arrow(
    session: AsyncSession, table: Table, query: Select[Any], progress: Progress | None = None
) -> pa.Table:
    parts = []
    async for part in arrow_blocks(session, table, query, BLOCK_ROWS):
        parts.append(part)
        if progress is not None:
            progress(part.num_rows)
    if not parts:
        return wire_schema(table, query).empty_table()
    return pa.concat_tables(parts)


async def read_frame(
    session: AsyncSession, table: Table, query: Select[Any], progress: Progress | None = None
) -> pd.DataFrame:
    names = [c.name for c in query.selected_columns]
    data = await read_arrow(session, table, query, progress)
    return to_pandas(data, table) if data.num_rows else empty_frame(table, names)


async def iter_frames(
    session: AsyncSession, table: Table, query: Select[Any], chunk_rows: int
) -> AsyncIterator[pd.DataFrame]:
    """The result in DataFrames of at most `chunk_rows` rows, streamed: memory stays bounded."""
    async for part in arrow_blocks(session, table, query, chunk_rows):
        yield to_pandas(part, table)
