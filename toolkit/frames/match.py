"""diff(df, key=...): the frame's rows without ids matched to the table's rows by a natural key, in one join.

The key values go to the server by COPY into a temporary table, one (semi-)join finds the rows that hold
them, and those rows come back by COPY: no row-by-row lookup from Python, however large the frame. The
planner picks the key's unique index for a few keys and a hash of them for many.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import column, exists, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.frames import read
from toolkit.frames.copy_in import copy_into_temp, fetch
from toolkit.frames.schema import empty_frame
from toolkit.frames.validate import FrameSpec, Issues, coerce_column
from toolkit.frames.write import temp_columns


@dataclass(frozen=True)
class Match:
    """Which rows of a frame the key found: their ids (NA for every row it did not match), the table's
    current rows for them, and which rows have no id and match none (`unmatched`, by position)."""

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

    Rows whose key value repeats in the frame are left unmatched (the frame's check refuses them), as is
    a row with an empty key part.
    """
    named = frame[spec.key].notna().to_numpy() if spec.key in frame else np.zeros(len(frame), dtype=bool)
    values = key_values(frame, spec, key)
    wanted = ~named & values.notna().all(axis=1).to_numpy()
    current = await _holders(session, spec, values.loc[wanted], key) if wanted.any() else None
    ids, missing = np.zeros(len(frame), dtype=np.int64), np.ones(len(frame), dtype=bool)
    if current is not None and len(current):
        found = positions(current[list(key)], values.loc[wanted])
        hits = found >= 0
        once = np.bincount(found[hits], minlength=len(current))[found[hits]] == 1
        rows = np.flatnonzero(wanted)[hits][once]
        ids[rows], missing[rows] = current[spec.key].to_numpy()[found[hits][once]], False
        repeated = np.flatnonzero(wanted)[hits][~once]
    else:
        current, repeated = empty_frame(spec.table, list(spec.table.c.keys())), np.array([], dtype=np.int64)
    unmatched = ~named & missing
    unmatched[repeated] = False
    return Match(pd.Series(pd.arrays.IntegerArray(ids, missing), index=frame.index), current, unmatched)


async def _holders(
    session: AsyncSession, spec: FrameSpec, values: pd.DataFrame, key: tuple[str, ...]
) -> pd.DataFrame:
    """Every column of the table's rows whose key is among `values`, by COPY in and COPY out.

    The keys' table is analysed first: unanalysed, the planner guesses it small and looks each key up in
    the unique index (15 s for a million), where a hash of the keys against one scan takes about 1 s.
    """
    await copy_into_temp(session, "qa_keys", temp_columns(spec, list(key), {}), values)
    await fetch(session, "ANALYZE qa_keys")
    keys = table("qa_keys", *(column(name) for name in key))
    held = exists().where(*(keys.c[name] == spec.table.c[name] for name in key))
    return await read.read_pandas(session, spec.table, select(spec.table).where(held))


def positions(held: pd.DataFrame, wanted: pd.DataFrame) -> np.ndarray:
    """For each row of `wanted`, the position of the row of `held` with the same values, or -1."""
    if held.shape[1] == 1:  # Arrow's hash lookup: a third of the time pandas' Index takes on text
        haystack = pa.array(held.iloc[:, 0], from_pandas=True)
        needles = pa.array(wanted.iloc[:, 0], from_pandas=True).cast(haystack.type)
        found: np.ndarray = pc.index_in(needles, value_set=haystack).fill_null(-1).to_numpy()
        return found
    index = pd.MultiIndex.from_arrays([held[name].astype(object).to_numpy() for name in held])
    tuples = pd.MultiIndex.from_arrays([wanted[name].astype(object).to_numpy() for name in wanted])
    located: np.ndarray = index.get_indexer(tuples)
    return located
