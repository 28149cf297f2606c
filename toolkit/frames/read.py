"""Reads of many rows: `COPY (query) TO STDOUT` straight into Arrow, never through ORM objects."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Select, Table
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.frames.schema import arrow_schema, empty_frame, to_pandas

Progress = Callable[[int], None]
PROGRESS_EVERY = 50_000


async def driver_connection(session: AsyncSession) -> Any:
    """The psycopg AsyncConnection under the session's current transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


def compile_query(session: AsyncSession, query: Select[Any]) -> tuple[str, dict[str, Any]]:
    """SQL text and parameters for psycopg; values stay parameters (merged by psycopg's own adapters)."""
    bind = session.get_bind()
    compiled = query.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    params = {
        k: (v.value if hasattr(v, "value") and not isinstance(v, str) else v)
        for k, v in compiled.params.items()
    }
    return str(compiled), params


def parse_csv(chunks: list[bytes], schema: pa.Schema) -> pa.Table:
    options = pacsv.ConvertOptions(
        column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False
    )
    read = pacsv.ReadOptions(column_names=schema.names, block_size=1 << 24)
    return pacsv.read_csv(io.BytesIO(b"".join(chunks)), read_options=read, convert_options=options)


async def copy_out(session: AsyncSession, query: Select[Any]) -> AsyncIterator[bytes]:
    sql, params = compile_query(session, query)
    conn = await driver_connection(session)
    async with conn.cursor().copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        async for data in copy:
            yield data


async def read_arrow(
    session: AsyncSession, table: Table, query: Select[Any], progress: Progress | None = None
) -> pa.Table:
    names = [c.name for c in query.selected_columns]
    schema = arrow_schema(table, names)
    chunks: list[bytes] = []
    async for data in copy_out(session, query):
        chunks.append(data)
        if progress is not None and len(chunks) % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress is not None and len(chunks) >= PROGRESS_EVERY:
        progress(len(chunks) % PROGRESS_EVERY)
    if not chunks:
        return schema.empty_table()
    return parse_csv(chunks, schema)


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
    names = [c.name for c in query.selected_columns]
    schema = arrow_schema(table, names)
    pending: list[bytes] = []
    async for data in copy_out(session, query):  # PostgreSQL sends one COPY message per row
        pending.append(data)
        if len(pending) >= chunk_rows:
            yield to_pandas(parse_csv(pending, schema), table)
            pending = []
    if pending:
        yield to_pandas(parse_csv(pending, schema), table)
