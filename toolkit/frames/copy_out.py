"""COPY ... TO STDOUT in blocks of many rows.

PostgreSQL sends one CopyData message per row and psycopg's `copy.read()` returns one per call, each call a
trip through the event loop. Here one generator, driven by psycopg's own `wait()`, takes every row libpq has
already buffered and waits on the socket only when the buffer is empty; rows are joined into one `bytes` per
block, so a million rows cost a million C calls and a few hundred joins, not a million awaits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any

from psycopg import errors, pq
from psycopg.generators import fetch_many
from psycopg.waiting import Wait

# Row buffers are joined every JOIN_ROWS rows so they die young: a hundred thousand live memoryviews would
# make the cyclic garbage collector rescan them over and over (it doubled the time of a read).
JOIN_ROWS = 512


def take_rows(
    pgconn: Any, pieces: list[bytes], limit: int, encoding: str
) -> Generator[Wait, Any, tuple[bool, int]]:
    """Append up to `limit` rows to `pieces`; returns (whether the COPY ended, rows taken)."""
    count, rows = 0, []
    try:
        while count < limit:
            nbytes, data = pgconn.get_copy_data(1)
            if nbytes > 0:
                rows.append(data)
                count += 1
                if len(rows) == JOIN_ROWS:
                    pieces.append(b"".join(rows))
                    rows = []
            elif nbytes == 0:
                while not (yield Wait.R):
                    continue
                pgconn.consume_input()
            else:
                result = (yield from fetch_many(pgconn))[-1]
                if result.status != pq.ExecStatus.COMMAND_OK:
                    raise errors.error_from_result(result, encoding=encoding)
                return True, count
        return False, count
    finally:
        pieces.append(b"".join(rows))


async def copy_blocks(
    conn: Any, statement: str, params: Any, block_rows: int
) -> AsyncIterator[tuple[bytes, int]]:
    """`statement` (a COPY ... TO STDOUT) as (bytes, row count) blocks of at most `block_rows` rows."""
    async with conn.cursor().copy(statement, params):
        done = False
        while not done:
            pieces: list[bytes] = []
            done, count = await conn.wait(take_rows(conn.pgconn, pieces, block_rows, conn.info.encoding))
            if count:
                yield b"".join(pieces), count
