"""insert_frame() of many rows: each chunk checked on a worker thread while the server stores the one before.

A chunk with any issue abandons the COPY (the transaction rolls back, nothing is written) and raises
`Refused`: the caller then checks the frame whole, the slow way, which names every issue of every row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.frames.copy_in import chunks, copy_chunks, copy_drawing_ids, csv_bytes
from toolkit.frames.validate import FrameSpec, Issues, check_frame, repeated, unique_keys
from toolkit.frames.write import audit_inserts


class Refused(Exception):
    """The frame has an issue: the fast path stops and the caller checks the frame whole."""


def checked(chunk: pd.DataFrame, spec: FrameSpec) -> pd.DataFrame:
    """The chunk as `check_frame` cleans it, or `Refused` at its first issue."""
    issues = Issues()
    clean = check_frame(chunk, spec, issues, inserting=True)
    if issues.parts:
        raise Refused
    return clean


async def insert_checked(
    session: AsyncSession, spec: FrameSpec, frame: pd.DataFrame, actor: str, entity: str
) -> list[int]:
    """Check and COPY `frame` (new rows) chunk by chunk; audit the load as `insert_rows` does. Returns the
    new ids, or raises `Refused` (or the database's error) with nothing written once the caller rolls back.

    Checks that span chunks: repeated row labels up front; a unique key the table's own index holds is
    refused by the index, any other (a natural key only the toolkit declares) is checked whole at the end.
    """
    names = [n for n in spec.editable if n in frame.columns]
    if frame.index.has_duplicates or not len(frame) or not names:
        raise Refused
    unheld = [list(k) for k in spec.unique if k not in unique_keys(spec.table) and set(k) <= set(frame)]
    kept: list[pd.DataFrame] = []

    def prepare(chunk: pd.DataFrame) -> bytes:
        clean = checked(chunk, spec)
        if unheld:
            kept.append(clean[sorted({n for k in unheld for n in k})])
        return csv_bytes(clean[names])

    def payloads() -> Iterator[Awaitable[bytes]]:
        for chunk in chunks(frame):
            yield asyncio.to_thread(prepare, chunk)

    drawn = await copy_drawing_ids(
        session, spec.table, len(frame), lambda: copy_chunks(session, spec.table.name, names, payloads())
    )
    if unheld:
        whole = pd.concat(kept)
        if any(repeated(whole[key]).any() for key in unheld):
            raise Refused
    await audit_inserts(session, spec, drawn, names, actor, entity)
    ids: list[int] = drawn.tolist()
    return ids
