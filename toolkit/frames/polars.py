"""Polars frames in and out (the optional `polars` extra): the read path's Arrow shared, not copied.

Reads: `pl.from_arrow(table, rechunk=False)` keeps Arrow's buffers as they are: integers, money
(`Decimal(14, 2)`, the same 128-bit values), UTC timestamps and booleans are the very memory the COPY was
parsed into, and text keeps its character data (polars adds a 16-byte view per cell). Enum columns become
`pl.Enum` with the enum's values in declaration order, the one column polars encodes anew.

Writes: `to_pandas(frame)` turns a polars frame into the pandas frame `diff()`, `insert_frame()` and
`post_frame()` check, with the dtypes `frame()` gives; a pandas frame passes through untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import pandas as pd
import pyarrow as pa

from toolkit.errors import Issue, MissingExtra, ValidationFailed
from toolkit.frames.schema import categories

INSTALL = "pip install 'queaccount[polars]'"


def require() -> ModuleType:
    """The polars module, imported on first use; MissingExtra (saying how to install it) when it is absent."""
    try:
        import polars
    except ImportError:
        raise MissingExtra(f"polars frames need the polars extra: {INSTALL}") from None
    return polars


def is_polars(frame: Any) -> bool:
    """Whether `frame` is a polars DataFrame (checked without importing polars)."""
    return type(frame).__module__.split(".")[0] == "polars"


def from_arrow(data: pa.Table, columns: Sequence[Any]) -> Any:
    """`data` as a polars DataFrame sharing its buffers; `columns` are the model columns behind each of
    `data`'s columns (None for one that is no model's), so enums become `pl.Enum`."""
    pl = require()
    frame = pl.from_arrow(data, rechunk=False)
    enums = {
        name: pl.Enum(cats)
        for name, column in zip(data.column_names, columns, strict=True)
        if column is not None and (cats := categories(column)) is not None
    }
    return frame.cast(enums) if enums else frame


def to_pandas(frame: Any) -> pd.DataFrame:
    """A frame to write, as pandas: a polars DataFrame with `frame()`'s dtypes (integers int64, nullable
    Int64 when a cell is empty, decimals exact, text pandas' string dtype, enums and categoricals unordered
    categoricals, timestamps as they are, booleans nullable); a pandas one as it is. Anything else, or
    columns that are not one flat set of distinct names, is a ValidationFailed."""
    kind = type(frame).__name__
    if is_polars(frame) and kind != "DataFrame":
        lazy = ": pass frame.collect()" if kind == "LazyFrame" else ""
        raise ValidationFailed(
            Issue(None, None, f"expected a pandas or polars DataFrame, got polars {kind}{lazy}")
        )
    if is_polars(frame):
        data = frame.to_arrow()
        columns = {name: column(data.column(name)) for name in data.column_names}
        return pd.DataFrame(columns, copy=False)
    if not isinstance(frame, pd.DataFrame):
        raise ValidationFailed(Issue(None, None, f"expected a pandas or polars DataFrame, got {kind}"))
    if isinstance(frame.columns, pd.MultiIndex):
        reason = "the columns have several levels (a MultiIndex): name them as the table's columns"
        raise ValidationFailed(Issue(None, None, reason))
    twice = frame.columns[frame.columns.duplicated()].unique()
    if len(twice):
        raise ValidationFailed([Issue(None, str(n), "is more than one column of the frame") for n in twice])
    return frame


def column(values: pa.ChunkedArray) -> Any:
    t = values.type
    if pa.types.is_dictionary(t):
        return values.to_pandas().cat.as_unordered().array
    if pa.types.is_integer(t):
        return pd.array(values, dtype="Int64") if values.null_count else values.to_numpy().astype("int64")
    if pa.types.is_decimal(t):
        return pd.array(values, dtype=pd.ArrowDtype(t))
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pd.array(values.cast(pa.large_string()), dtype=pd.StringDtype())
    if pa.types.is_boolean(t):
        return pd.array(values, dtype="boolean")
    if pa.types.is_null(t):
        return pd.array([None] * len(values), dtype=object)
    return values.to_pandas().array
