"""Reads of many rows: `COPY (query) TO STDOUT` straight into Arrow, never through ORM objects."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql
from sqlalchemy import ARRAY, BigInteger, Select, Table, Text, any_, bindparam, cast, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from toolkit.errors import Unreadable
from toolkit.frames import polars
from toolkit.frames.copy_out import Block, copy_blocks
from toolkit.frames.schema import arrow_schema, categories, empty_frame, to_pandas

Progress = Callable[[int], None]
ENUM = pa.dictionary(pa.int32(), pa.large_string())
BLOCK_ROWS = 50_000
# Below this many ids between the table's first and last row, a read is not worth a second connection.
SPLIT_SPAN = 200_000


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
    """The Arrow schema COPY is parsed into: text as large_string, what pandas' string dtype holds (no cast),
    and enums dictionary-encoded as they are parsed (their few values kept once per block, not per row:
    pandas' categorical codes come straight from the dictionary indices)."""
    schema = arrow_schema(table, [c.name for c in query.selected_columns])
    return pa.schema(f.with_type(_wire_type(f.type, table.c[f.name])) for f in schema)


def _wire_type(kind: pa.DataType, column: Any) -> pa.DataType:
    if categories(column) is not None:
        return ENUM
    return pa.large_string() if pa.types.is_string(kind) else kind


def plain(data: pa.Table) -> pa.Table:
    """A parsed table with its enums decoded to large_string: what `frame(as_arrow=True)` gives."""
    if not any(t == ENUM for t in data.schema.types):
        return data
    return data.cast(pa.schema(f.with_type(pa.large_string()) if f.type == ENUM else f for f in data.schema))


@functools.cache
def parse_pool() -> pa.MemoryPool:
    """Where parsed columns are allocated: pyarrow's jemalloc pool where the wheel has it.

    The CSV parser reserves room for a whole block per text column and gives most of it back when the
    column is finished. With the default pool (mimalloc) those buffers were faulted in fresh for every
    block (perf: `mi_page_fresh_alloc` under the parser), and zeroing the new pages was a third of a
    large read's CPU time; jemalloc keeps pages it freed a moment ago (about a second, pyarrow's decay
    setting) and hands them to the next block. Only the parse uses it; the default pool is untouched.
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc (Windows wheels)
        return pa.default_memory_pool()


def parse_csv(data: bytes | bytearray | memoryview, schema: pa.Schema) -> pa.Table:
    options = pacsv.ConvertOptions(
        column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False
    )
    read = pacsv.ReadOptions(column_names=schema.names, block_size=1 << 24, use_threads=False)
    try:
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=read,
            convert_options=options,
            memory_pool=parse_pool(),
        )
    except pa.ArrowInvalid as error:
        raise unreadable(error, schema) from None


def unreadable(error: pa.ArrowInvalid, schema: pa.Schema) -> Unreadable:
    """Arrow's refusal of one value (`In CSV column #5: ... invalid value 'infinity'`), by column name."""
    said = str(error)
    number = re.search(r"CSV column #(\d+)", said)
    value = said.rpartition("invalid value ")[2] or "a value"
    if number is None or int(number.group(1)) >= len(schema):
        return Unreadable(f"a stored value cannot be read into a frame: {said}")
    field = schema.field(int(number.group(1)))
    return Unreadable(
        f"column {field.name!r} holds {value}, which a frame cannot hold as {field.type}; leave such rows"
        f" out with a condition, for a timestamp: sqlalchemy.func.isfinite(<Model>.{field.name})"
    )


async def arrow_blocks(
    session: AsyncSession, table: Table, query: Select[Any], block_rows: int
) -> AsyncIterator[pa.Table]:
    """The query's rows as Arrow tables of at most `block_rows` rows, each parsed as soon as it arrives."""
    async for part in _blocks(await driver_connection(session), session, table, query, block_rows):
        yield part


async def _blocks(
    conn: Any, session: AsyncSession, table: Table, query: Select[Any], block_rows: int
) -> AsyncIterator[pa.Table]:
    sql, params = compile_query(session, query)
    async for part in copy_arrow(conn, sql, params, wire_schema(table, query), block_rows):
        yield part


async def copy_arrow(
    conn: Any, sql: str, params: dict[str, Any], schema: pa.Schema, block_rows: int
) -> AsyncIterator[pa.Table]:
    """`COPY (sql) TO STDOUT` on a psycopg AsyncConnection as Arrow tables of `schema`, as `arrow_blocks`."""
    loop = asyncio.get_running_loop()
    parsing: asyncio.Future[pa.Table] | None = None
    spare: list[Block] = []

    def parse(block: Block) -> pa.Table:
        with block.view() as view:  # released here: the parsed table holds copies, not the block's bytes
            table = parse_csv(view, schema)
        spare.append(block)  # only a block that parsed: a failed read receives nothing more
        return table

    # Each block is parsed on a worker thread (pyarrow releases the GIL) while the next one is received.
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    async for block, _ in copy_blocks(conn, statement, params, block_rows, spare):
        parsed = loop.run_in_executor(None, parse, block)
        if parsing is not None:
            yield await parsing
        parsing = parsed
    if parsing is not None:
        yield await parsing


async def _collect(
    conn: Any, session: AsyncSession, table: Table, query: Select[Any], progress: Progress | None
) -> list[pa.Table]:
    parts = []
    async for part in _blocks(conn, session, table, query, BLOCK_ROWS):
        parts.append(part)
        if progress is not None:
            progress(part.num_rows)
    return parts


async def _in_halves(
    session: AsyncSession, table: Table, query: Select[Any], progress: Progress | None
) -> list[pa.Table] | None:
    """The rows of `query` (ordered by id) read as two COPYs at once, ids below and from the middle of the
    table's id span, on two connections sharing one snapshot; None when one COPY is the better plan.

    The server formats rows on one core per COPY, and formatting is half the work of a large read, so a
    second COPY on the machine's other core shortens it by about a fifth. Both transactions are REPEATABLE
    READ and READ ONLY, and the second imports the first's snapshot (`pg_export_snapshot()`): the halves
    are one consistent read, exactly what a single COPY would have returned. The first is the scope's own
    session, so its transaction stays read-only until the scope ends (reads run in a scope of their own).
    """
    key = table.c.get("id")
    if key is None or session.in_transaction():
        return None
    consistent = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    connection = await session.connection(execution_options=consistent)
    first: Any = (await connection.get_raw_connection()).driver_connection
    span = sql.SQL("SELECT min(id), max(id) FROM {}").format(sql.Identifier(table.name))
    [(low, high)] = await (await first.execute(span)).fetchall()
    if low is None or high - low < SPLIT_SPAN:
        return await _collect(first, session, table, query, progress)
    [(snapshot,)] = await (await first.execute("SELECT pg_export_snapshot()")).fetchall()
    engine = session.bind
    assert isinstance(engine, AsyncEngine), "sessions are bound to the engine"
    async with engine.connect() as other:
        await other.execution_options(**consistent)
        second: Any = (await other.get_raw_connection()).driver_connection
        await second.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        middle = (low + high) // 2 + 1
        lower, upper = await asyncio.gather(
            _collect(first, session, table, query.where(key < middle), progress),
            _collect(second, session, table, query.where(key >= middle), progress),
        )
    return lower + upper


async def read_arrow(
    session: AsyncSession,
    table: Table,
    query: Select[Any],
    progress: Progress | None = None,
    *,
    by_id: bool = False,
) -> pa.Table:
    """The query's rows as one Arrow table. `by_id`: the query is ordered by id alone and has no limit, so
    it may be read in two halves at once (when no transaction is open yet and the table is large)."""
    return plain(await _read_wire(session, table, query, progress, by_id=by_id))


async def _read_wire(
    session: AsyncSession, table: Table, query: Select[Any], progress: Progress | None, *, by_id: bool
) -> pa.Table:
    """`read_arrow` as parsed (`wire_schema`: enums still dictionary-encoded)."""
    parts = await _in_halves(session, table, query, progress) if by_id else None
    if parts is None:
        parts = await _collect(await driver_connection(session), session, table, query, progress)
    if not parts:
        return wire_schema(table, query).empty_table()
    return pa.concat_tables(parts)


def pandas_frame(data: pa.Table, table: Table) -> pd.DataFrame:
    """Arrow rows of `table`'s columns as pandas, with the faithful dtypes (`toolkit.frames.schema`)."""
    return to_pandas(data, table) if data.num_rows else empty_frame(table, data.column_names)


def polars_frame(data: pa.Table, table: Table) -> Any:
    """Arrow rows of `table`'s columns as polars, sharing Arrow's buffers (`toolkit.frames.polars`)."""
    return polars.from_arrow(plain(data), [table.c[name] for name in data.column_names])


# What a read turns Arrow into; each read below ends in one of these.
Convert = Callable[[pa.Table, Table], Any]


async def read_frame(
    session: AsyncSession,
    table: Table,
    query: Select[Any],
    progress: Progress | None = None,
    *,
    by_id: bool = False,
    convert: Convert = pandas_frame,
) -> Any:
    """The query's rows as one frame: pandas unless `convert` says otherwise (e.g. `polars_frame`)."""
    return convert(await _read_wire(session, table, query, progress, by_id=by_id), table)


async def read_pandas(session: AsyncSession, table: Table, query: Select[Any]) -> pd.DataFrame:
    """The query's rows as a pandas frame (what the write paths compare against)."""
    frame: pd.DataFrame = await read_frame(session, table, query)
    return frame


async def iter_frames(
    session: AsyncSession, table: Table, query: Select[Any], chunk_rows: int, convert: Convert = pandas_frame
) -> AsyncIterator[Any]:
    """The result in frames of at most `chunk_rows` rows, streamed: memory stays bounded."""
    async for part in arrow_blocks(session, table, query, chunk_rows):
        yield convert(part, table)
