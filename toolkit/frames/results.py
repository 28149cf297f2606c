"""Rows of any query as a frame: a column that is a model's column gets the dtype `frame()` gives it
(`toolkit.frames.origins` tells which it is); the rest are typed by their PostgreSQL type: integers nullable
Int64, numerics exact, timestamps in UTC, text pandas' string dtype, JSON decoded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
from psycopg.postgres import types as pg_types

from toolkit.errors import Issue, ValidationFailed
from toolkit.frames import polars
from toolkit.frames.origins import OID, ResultColumn
from toolkit.frames.schema import arrow_type, column_to_pandas

Row = Sequence[Any]
BY_TYPE: dict[int, pa.DataType] = {
    **{pg_types[n].oid: pa.int64() for n in ("int2", "int4", "int8", "oid")},
    **{pg_types[n].oid: pa.float64() for n in ("float4", "float8")},
    **{pg_types[n].oid: pa.string() for n in ("text", "varchar", "bpchar", "name", "json", "jsonb")},
    pg_types["bool"].oid: pa.bool_(),
    pg_types["timestamptz"].oid: pa.timestamp("us", tz="UTC"),
    pg_types["timestamp"].oid: pa.timestamp("us"),
}
JSON = {OID["json"], OID["jsonb"]}


def result_arrow(columns: Sequence[ResultColumn], rows: Sequence[Row]) -> pa.Table:
    """The rows as Arrow, one array per result column (names may repeat, as in SQL)."""
    arrays = [array([r[i] for r in rows], c) for i, c in enumerate(columns)]
    return pa.Table.from_arrays(arrays, names=[c.name for c in columns])


def array(values: list[Any], column: ResultColumn) -> pa.Array:
    for wanted in (wire_type(column), None):
        try:
            return settled(pa.array(values, wanted), column)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            continue
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def settled(values: pa.Array, column: ResultColumn) -> pa.Array:
    """Types inferred from values made independent of them: an unconstrained numeric (`sum()`, `avg()`)
    gets room for any amount at the scale of its values; a time with a zone is in UTC, as frames are."""
    t = values.type
    if pa.types.is_decimal128(t) and column.type_oid == OID["numeric"] and column.precision is None:
        return values.cast(pa.decimal128(38, t.scale))
    if pa.types.is_timestamp(t) and t.tz not in (None, "UTC"):
        return values.cast(pa.timestamp(t.unit, tz="UTC"))
    return values


def wire_type(column: ResultColumn) -> pa.DataType | None:
    """The Arrow type a result column is read into: its model column's, else its PostgreSQL type's."""
    if column.origin is not None:
        return arrow_type(column.origin)
    if column.type_oid == OID["numeric"] and column.precision is not None:
        return pa.decimal128(column.precision, column.scale or 0)
    return BY_TYPE.get(column.type_oid)


def result_frame(columns: Sequence[ResultColumn], rows: Sequence[Row]) -> pd.DataFrame:
    """The rows as pandas with `frame()`'s dtypes for model columns and sensible ones for the rest."""
    data = result_arrow(columns, rows)
    frame = pd.DataFrame(
        {i: to_pandas(data.column(i), c) for i, c in enumerate(columns)}, index=pd.RangeIndex(len(rows))
    )
    frame.columns = pd.Index([c.name for c in columns])
    return frame


def result_polars(columns: Sequence[ResultColumn], rows: Sequence[Row]) -> Any:
    """The rows as polars (sharing the Arrow built from them), refused when a name repeats."""
    data = result_arrow(columns, rows)
    repeated = sorted({n for n in data.column_names if data.column_names.count(n) > 1})
    if repeated:
        reason = "repeats in the result; polars frames need distinct names: name the columns apart with AS"
        raise ValidationFailed([Issue(None, name, reason) for name in repeated])
    return polars.from_arrow(data, [c.origin for c in columns])


def to_pandas(values: pa.ChunkedArray, column: ResultColumn) -> Any:
    t = values.type
    if column.origin is not None and t == arrow_type(column.origin):
        if pa.types.is_integer(t) and values.null_count:  # a non-null column, NULL from an outer join
            return pd.array(values, dtype="Int64")
        return column_to_pandas(values, column.origin)
    if column.type_oid in JSON and pa.types.is_string(t):
        return [None if v is None else json.loads(v) for v in values.to_pylist()]
    if pa.types.is_decimal(t):
        return pd.array(values, dtype=pd.ArrowDtype(t))
    if pa.types.is_integer(t):
        return pd.array(values, dtype="Int64")
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.array(values, dtype=pd.StringDtype())
    if pa.types.is_boolean(t):
        return pd.array(values, dtype="boolean")
    return values.to_pandas().array
