"""Faithful types both ways: how each model column looks in Arrow and in pandas."""

from __future__ import annotations

import enum
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import BigInteger, Boolean, Column, DateTime, Enum, Integer, Numeric, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB


def arrow_type(column: Column[Any]) -> pa.DataType:
    t = column.type
    if isinstance(t, BigInteger | Integer):
        return pa.int64()
    if isinstance(t, Numeric):
        return pa.decimal128(t.precision or 38, t.scale or 0)
    if isinstance(t, DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(t, Boolean):
        return pa.bool_()
    if isinstance(t, String | Text | Enum | JSONB):
        return pa.string()
    raise TypeError(f"no Arrow type for {column.name} ({t})")


def categories(column: Column[Any]) -> list[str] | None:
    """The allowed values of an enum column, in declaration order."""
    t = column.type
    if isinstance(t, Enum) and t.enum_class is not None and issubclass(t.enum_class, enum.Enum):
        return [m.value for m in t.enum_class]
    return None


def pandas_dtype(column: Column[Any]) -> Any:
    """Integers stay integers (nullable Int64 where NULL can occur), money is exact decimal, times are UTC,
    enums are categoricals and text is pandas' string dtype."""
    cats = categories(column)
    if cats is not None:
        return pd.CategoricalDtype(cats)
    t = arrow_type(column)
    if pa.types.is_int64(t):
        return "Int64" if column.nullable else "int64"
    if pa.types.is_decimal(t):
        return pd.ArrowDtype(t)
    if pa.types.is_timestamp(t):
        return pd.DatetimeTZDtype("us", "UTC")
    if pa.types.is_boolean(t):
        return "boolean"
    if isinstance(column.type, JSONB):
        return object
    return pd.StringDtype()


def arrow_schema(table: Table, names: list[str]) -> pa.Schema:
    return pa.schema([pa.field(n, arrow_type(table.c[n]), nullable=table.c[n].nullable) for n in names])


def to_pandas(data: pa.Table, table: Table) -> pd.DataFrame:
    """An Arrow table of `table`'s columns as a DataFrame with the faithful dtypes (no per-value Python)."""
    columns = {name: column_to_pandas(data.column(name), table.c[name]) for name in data.column_names}
    return pd.DataFrame(columns, copy=False)


def column_to_pandas(values: pa.ChunkedArray, column: Column[Any]) -> Any:
    import json

    dtype = pandas_dtype(column)
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(category_codes(values, dtype.categories.tolist()), dtype=dtype)
    if dtype is object:
        return [json.loads(v) if isinstance(v, str) else v for v in values.to_pylist()]
    if isinstance(dtype, pd.ArrowDtype | pd.StringDtype | pd.BooleanDtype) or dtype == "Int64":
        return pd.array(values, dtype=dtype)
    return values.to_pandas()


def category_codes(values: pa.ChunkedArray, allowed: list[str]) -> Any:
    """int8 codes of `values` among `allowed` (-1 for an empty cell or a value not among them). Dictionary
    chunks (the read path's enums) map their few dictionary values, then take the codes by index."""
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(values.type):
        codes = pc.index_in(values, value_set=pa.array(allowed, values.type))
    else:
        value_set = pa.array(allowed, values.type.value_type)
        codes = pa.chunked_array(
            [pc.take(pc.index_in(c.dictionary, value_set=value_set), c.indices) for c in values.chunks],
            pa.int32(),
        )
    return codes.fill_null(-1).to_numpy().astype("int8")


def empty_frame(table: Table, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({n: pd.Series([], dtype=pandas_dtype(table.c[n])) for n in names})
