"""Frames into PostgreSQL: COPY into a temporary table or straight into a table, and the ids of new rows."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.frames.read import driver_connection

CHUNK_ROWS = 1 << 17  # rows per COPY payload: the next one is made while the server takes this one
# The first payload is small: the server waits for it with nothing to do (a full chunk takes 0.1 s to check).
FIRST_ROWS = 1 << 14


def chunks(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """`frame` in the slices sent as COPY payloads: a small one first, then CHUNK_ROWS at a time."""
    starts = [0, *range(FIRST_ROWS, len(frame), CHUNK_ROWS)] if len(frame) > FIRST_ROWS else [0]
    ends = [*starts[1:], len(frame)]
    return [frame.iloc[start:end] for start, end in zip(starts, ends, strict=True)]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as PostgreSQL CSV: NULL unquoted-empty, empty strings quoted."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.cast(pa.schema([pa.field(f.name, _plain(f.type)) for f in table.schema]))
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=False, batch_size=1 << 16))
    return sink.getvalue()


def _plain(t: pa.DataType) -> pa.DataType:
    return pa.string() if pa.types.is_dictionary(t) or pa.types.is_large_string(t) else t


async def bulk_connection(session: AsyncSession) -> Any:
    """The session's psycopg connection, with room for bulk work until the transaction ends."""
    conn = await driver_connection(session)
    # Bulk joins, sorts and CTEs of a million rows spill to disk at the default 4MB; this lasts to commit.
    await conn.execute("SET LOCAL work_mem = '256MB'")
    return conn


async def copy_into_temp(
    session: AsyncSession, name: str, columns: dict[str, str], frame: pd.DataFrame
) -> None:
    """CREATE TEMP TABLE `name` (dropped at commit) and COPY `frame` (columns in that order) into it."""
    conn = await bulk_connection(session)
    cols = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns.items()
    )
    await conn.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(sql.Identifier(name), cols))
    await copy_rows(session, name, frame[list(columns)])


async def copy_rows(session: AsyncSession, table: str, frame: pd.DataFrame) -> None:
    """COPY `frame` into `table`, column by column by name (the table's defaults fill the rest)."""
    payloads = (asyncio.to_thread(csv_bytes, chunk) for chunk in chunks(frame))
    await copy_chunks(session, table, list(frame.columns), payloads)


async def copy_chunks(
    session: AsyncSession, table: str, columns: list[str], payloads: Iterator[Awaitable[bytes]]
) -> None:
    """COPY CSV `payloads` into `table`'s `columns`, each made while the server takes in the one before.

    A payload is awaited only once the previous one is sent, so the next is made (on a worker thread)
    while the server parses and stores this one: the client's work and the server's overlap on two cores.
    If making one raises, the COPY is abandoned (nothing of it is kept) and the error raised.
    """
    conn = await driver_connection(session)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    first = next(payloads, None)
    pending = asyncio.ensure_future(first) if first is not None else None
    try:
        async with conn.cursor().copy(statement) as copy:
            while pending is not None:
                payload = await pending
                following = next(payloads, None)
                pending = asyncio.ensure_future(following) if following is not None else None
                view = memoryview(payload)
                for start in range(0, len(view), 1 << 20):
                    await copy.write(view[start : start + (1 << 20)])
    finally:
        if pending is not None:  # a thread cannot be stopped: let it finish before the error goes on
            await asyncio.gather(pending, return_exceptions=True)


async def fetch(
    session: AsyncSession, statement: str, params: dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    conn = await driver_connection(session)
    cursor = await conn.execute(statement, params or {})
    return await cursor.fetchall() if cursor.description else []


async def serial_sequence(session: AsyncSession, table: Table) -> str:
    """The name of the sequence `table`'s id column draws from, quoted as SQL."""
    name: str = (await fetch(session, "SELECT pg_get_serial_sequence(%(t)s, 'id')", {"t": table.name}))[0][0]
    return name


async def copy_drawing_ids(
    session: AsyncSession, table: Table, count: int, copying: Callable[[], Awaitable[None]]
) -> np.ndarray:
    """Run `copying`, a COPY of `count` new rows into `table` that leaves their ids to the column's default
    (one draw from its sequence per row, in row order), and return the ids it drew, in row order.

    Drawing inside the COPY costs about a third of drawing the same ids in a statement before it. The
    sequence's last value is read first: when the COPY drew exactly the values after it (no other session
    drew one meanwhile; an increment of 1 and no cache), the ids are that range, known with nothing read
    back. Otherwise they are read back through the primary key: the `count` highest ids, up to the last one
    drawn here (`currval`), written by the same (sub)transaction as that row (its `xmin`). A row another
    session wrote with an id in between has another `xmin`.
    """
    sequence = await serial_sequence(session, table)
    # Before the first draw (or after a RESTART) the last value is unknown: the lowest the sequence could
    # have given stands in for it, which can only send the ids to the slower, exact read.
    [(before, plain)] = await fetch(
        session,
        """
        SELECT coalesce(pg_sequence_last_value(seqrelid), seqmin - seqincrement),
               seqincrement = 1 AND seqcache = 1
        FROM pg_sequence WHERE seqrelid = %(sequence)s::regclass
        """,
        {"sequence": sequence},
    )
    await copying()
    [(last,)] = await fetch(session, "SELECT currval(%(sequence)s::regclass)", {"sequence": sequence})
    if plain and last - before == count:
        return np.arange(before + 1, last + 1, dtype=np.int64)
    statement = sql.SQL(
        """
        SELECT array_agg(id ORDER BY id) FROM (
            SELECT id FROM {table}
            WHERE id <= %(last)s AND xmin = (SELECT xmin FROM {table} WHERE id = %(last)s)
            ORDER BY id DESC LIMIT %(count)s
        ) AS drawn
        """
    ).format(table=sql.Identifier(table.name))
    [(ids,)] = await fetch(session, statement.as_string(), {"last": last, "count": count})
    found = np.array(ids or [], dtype=np.int64)
    if len(found) != count:  # a trigger drawing from the sequence too: refuse rather than misname rows
        raise RuntimeError(f"only {len(found)} of the {count} rows copied into {table.name} were found again")
    return found


async def reserve_ids(session: AsyncSession, table: Table, count: int) -> np.ndarray:
    """`count` new ids drawn from `table`'s id sequence in one statement, in drawing order (ascending).

    They come back as a range when contiguous (the usual case), else listed: a million ids as text would cost
    more to send than to draw.
    """
    seq = await serial_sequence(session, table)
    statement = sql.SQL(
        """
        WITH drawn AS (SELECT nextval({seq}::regclass) AS id FROM generate_series(1, %(n)s))
        SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL
                                      ELSE string_agg(id::text, ',') END
        FROM drawn
        """
    ).format(seq=sql.Literal(seq))
    [(low, high, listed)] = await fetch(session, statement.as_string(), {"n": count})
    if listed is None:
        return np.arange(low, high + 1, dtype=np.int64)
    return np.array(listed.split(","), dtype=np.int64)
