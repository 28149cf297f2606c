"""COPY ... TO STDOUT in blocks of many rows.

PostgreSQL sends one CopyData message per row and psycopg's `copy.read()` returns one per call, each call a
trip through the event loop. Here one generator, driven by psycopg's own `wait()`, takes every row libpq has
already buffered and waits on the socket only when the buffer is empty. Buffered rows are taken by C-level
iterators (`iter`, `takewhile`, `islice`, `map`), so no Python bytecode runs per row.

Rows are received into `Block`s that are used again once their rows are parsed, so a read does not have the
kernel fault in fresh pages for every block: over ten fresh processes, the first million-row frame() took a
median of 44,800 page faults instead of 57,000 (its time did not change by more than the machine's noise).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from functools import partial
from itertools import islice, takewhile
from operator import itemgetter
from typing import Any

from psycopg import errors, pq
from psycopg.generators import fetch_many
from psycopg.waiting import Wait

# Row buffers are joined every JOIN_ROWS rows so they die young: a hundred thousand live memoryviews would
# make the cyclic garbage collector rescan them over and over (it doubled the time of a read).
JOIN_ROWS = 512
# What libpq's PQgetCopyData gives (through psycopg) once the COPY has ended; (0, b"") means "buffer empty".
COPY_DONE = (-1, b"")
NBYTES, DATA = itemgetter(0), itemgetter(1)


class Block:
    """Bytes received into a buffer that is kept when the block is emptied, so the next block reuses its
    pages. `view()` is valid until the block is emptied or written to again."""

    __slots__ = ("data", "size")

    def __init__(self) -> None:
        self.data = bytearray()
        self.size = 0

    def __iadd__(self, chunk: bytes) -> Block:
        """Written over the bytes an earlier block left (same length: copied in place, never resized), the
        rest appended (the bytearray's own growth, which leaves its slack untouched, not zero-filled)."""
        room = len(self.data) - self.size
        if len(chunk) <= room:
            self.data[self.size : self.size + len(chunk)] = chunk
        else:
            view = memoryview(chunk)
            self.data[self.size :] = view[:room]
            self.data += view[room:]
        self.size += len(chunk)
        return self

    def view(self) -> memoryview:
        return memoryview(self.data)[: self.size]

    def empty(self) -> None:
        self.size = 0


def take_rows(pgconn: Any, block: Block, limit: int, encoding: str) -> Generator[Wait, Any, tuple[bool, int]]:
    """Append up to `limit` rows to `block`; returns (whether the COPY ended, rows taken)."""
    source = iter(partial(pgconn.get_copy_data, 1), COPY_DONE)
    count, drained = 0, False
    while count < limit:
        want = min(JOIN_ROWS, limit - count)
        rows = list(islice(takewhile(NBYTES, source), want))  # stops at the first "buffer empty"
        if rows:
            count, drained = count + len(rows), False
            block += b"".join(map(DATA, rows))
            if len(rows) == want:
                continue
        following = next(source, None)  # None: the COPY has ended (now or inside takewhile)
        if following is None:
            result = (yield from fetch_many(pgconn))[-1]
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise errors.error_from_result(result, encoding=encoding)
            return True, count
        if following[0] > 0:
            block += following[1]
            count += 1
            continue
        if not drained:  # read what the socket already holds before a trip through the event loop
            drained = True
            pgconn.consume_input()
            continue
        drained = False
        while not (yield Wait.R):
            continue
        pgconn.consume_input()
    return False, count


async def copy_blocks(
    conn: Any, statement: str, params: Any, block_rows: int, spare: list[Block]
) -> AsyncIterator[tuple[Block, int]]:
    """`statement` (a COPY ... TO STDOUT) as (block, row count) of at most `block_rows` rows each. A block
    grows in place (never joined from pieces at the end, which held its bytes twice), and is the caller's
    once yielded; the caller gives a block back to `spare` once done with its bytes, and the following
    rows are received into it."""
    async with conn.cursor().copy(statement, params):
        done = False
        while not done:
            block = spare.pop() if spare else Block()
            block.empty()
            done, count = await conn.wait(take_rows(conn.pgconn, block, block_rows, conn.info.encoding))
            if count:
                yield block, count
