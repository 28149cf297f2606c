"""insert_frame() of many rows: each chunk checked on a worker thread while the server stores the one before.

A chunk with any issue abandons the COPY (the transaction rolls back, nothing is written) and raises
`Refused`: the caller then checks the frame whole, the slow way, which names every issue of every row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator

import numpy as np
import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.frames.copy_in import CHUNK_ROWS, bulk_connection, copy_chunks, csv_bytes, reserve_ids
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


def rows_payload(clean: pd.DataFrame, spec: FrameSpec, names: list[str], ids: np.ndarray) -> bytes:
    return csv_bytes(clean[names].assign(**{spec.key: ids})[[spec.key, *names]])


async def insert_checked(
    session: AsyncSession, spec: FrameSpec, frame: pd.DataFrame, actor: str, entity: str
) -> list[int]:
    """Check and COPY `frame` (new rows) chunk by chunk; audit the load as `insert_rows` does. Returns the
    new ids, or raises `Refused` (or the database's error) with nothing written once the caller rolls back.

    Checks that span chunks: repeated row labels up front; a unique key the table's own index holds is
    refused by the index, any other (a natural key only the toolkit declares) is checked whole at the end.
    """
    if frame.index.has_duplicates or not len(frame):
        raise Refused
    chunks = [frame.iloc[start : start + CHUNK_ROWS] for start in range(0, len(frame), CHUNK_ROWS)]
    checking = asyncio.ensure_future(asyncio.to_thread(checked, chunks[0], spec))
    try:  # the ids are drawn while the first chunk is checked
        await bulk_connection(session)
        drawn = await reserve_ids(session, spec.table, len(frame))
    finally:
        await asyncio.gather(checking, return_exceptions=True)
    first = checking.result()
    names = [n for n in spec.editable if n in first.columns]
    unheld = [list(k) for k in spec.unique if k not in unique_keys(spec.table) and set(k) <= set(first)]
    kept: list[pd.DataFrame] = []

    def prepare(chunk: pd.DataFrame, clean: pd.DataFrame | None, start: int) -> bytes:
        clean = checked(chunk, spec) if clean is None else clean
        if unheld:
            kept.append(clean[sorted({n for k in unheld for n in k})])
        return rows_payload(clean, spec, names, drawn[start : start + len(chunk)])

    def payloads() -> Iterator[Awaitable[bytes]]:
        for number, chunk in enumerate(chunks):
            yield asyncio.to_thread(prepare, chunk, first if number == 0 else None, number * CHUNK_ROWS)

    await copy_chunks(session, spec.table.name, [spec.key, *names], payloads())
    if unheld:
        whole = pd.concat(kept)
        if any(repeated(whole[key]).any() for key in unheld):
            raise Refused
    await audit_inserts(session, spec, drawn, names, actor, entity)
    ids: list[int] = drawn.tolist()
    return ids
