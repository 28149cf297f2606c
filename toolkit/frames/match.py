"""diff(df, key=...): the frame's rows without ids matched to the table's rows by a natural key, in one join.

The key values go to the server by COPY into a temporary table, one join on the key's unique index finds
the rows that hold them, and those rows come back by COPY: no row-by-row lookup, however large the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import and_, column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.frames import read
from toolkit.frames.copy_in import copy_into_temp
from toolkit.frames.schema import empty_frame
from toolkit.frames.validate import FrameSpec, Issues, coerce_column
from toolkit.frames.write import temp_columns


@dataclass(frozen=True)
class Match:
    """Which rows of a frame without an id the key found: their ids (NA for every other row), the table's
    current rows for them, and which rows have no id and match none (`unmatched`, by position;
    a row whose key repeats in the frame is neither)."""

    ids: pd.Series
    current: pd.DataFrame
    unmatched: np.ndarray


def key_values(frame: pd.DataFrame, spec: FrameSpec, key: tuple[str, ...]) -> pd.DataFrame:
    """The key's columns as the table holds them (typed, then normalised as every write normalises them,
    so " Ada@Example.com" finds ada@example.com). A cell that is not a valid value becomes NA here; the
    frame's own check names it."""
    values = pd.DataFrame(index=frame.index)
    for name in key:
        typed = coerce_column(frame[name], spec, name, Issues())
        values[name] = spec.normalise[name](typed) if name in spec.normalise else typed
    return values


async def by_key(session: AsyncSession, spec: FrameSpec, frame: pd.DataFrame, key: tuple[str, ...]) -> Match:
    """Match the frame's rows that have no id to the table's rows holding the same key values.

    A row whose key value repeats in the frame is not matched (the frame's check refuses it), nor one
    with an empty key part.
    """
    named = frame[spec.key].notna().to_numpy() if spec.key in frame else np.zeros(len(frame), dtype=bool)
    values = key_values(frame, spec, key)
    complete = values.notna().all(axis=1).to_numpy()
    single = ~values.duplicated(keep=False).to_numpy() | ~complete
    wanted = ~named & complete & single
    current = await _holders(session, spec, values.loc[wanted], key) if wanted.any() else None
    ids, missing = np.zeros(len(frame), dtype=np.int64), np.ones(len(frame), dtype=bool)
    if current is not None and len(current):
        found = _index(current[list(key)]).get_indexer(_index(values.loc[wanted]))
        hits = found >= 0
        positions = np.flatnonzero(wanted)[hits]
        ids[positions], missing[positions] = current[spec.key].to_numpy()[found[hits]], False
    unmatched = ~named & single & missing
    empty = empty_frame(spec.table, [c.name for c in spec.table.columns])
    matched = pd.Series(pd.arrays.IntegerArray(ids, missing), index=frame.index)
    return Match(matched, current if current is not None else empty, unmatched)


async def _holders(
    session: AsyncSession, spec: FrameSpec, values: pd.DataFrame, key: tuple[str, ...]
) -> pd.DataFrame:
    """Every column of the table's rows whose key is among `values`, by COPY in and COPY out."""
    await copy_into_temp(session, "qa_keys", temp_columns(spec, list(key), {}), values)
    keys = table("qa_keys", *(column(name) for name in key))
    joined = spec.table.join(keys, and_(*(spec.table.c[name] == keys.c[name] for name in key)))
    return await read.read_frame(session, spec.table, select(spec.table).select_from(joined))


def _index(values: pd.DataFrame) -> pd.Index:
    """The key values as an index to look rows up in (one column: plain values; several: tuples)."""
    columns = [values[name].astype(object).to_numpy() for name in values]
    index: pd.Index = pd.Index(columns[0]) if len(columns) == 1 else pd.MultiIndex.from_arrays(columns)
    return index
