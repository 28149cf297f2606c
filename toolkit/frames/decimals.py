"""Exact amounts: a column of numbers or text cast to the column's numeric(p, s), every bad cell named why."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import msgspec
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.errors import Issue
from toolkit.frames.text import all_text

if TYPE_CHECKING:
    from toolkit.frames.validate import Issues


HUGE_EXPONENT = r"[eE][+-]?0*[1-9]\d{2,}"
# A number as text, in ASCII digits only: Python's Decimal() also takes Arabic-Indic, full-width and `1_0`.
DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def decimal_fields(info: msgspec.inspect.Type) -> frozenset[str]:
    """The names of the Decimal fields of the struct(s) a type holds (through unions, lists and metadata)."""
    if isinstance(info, msgspec.inspect.Metadata):
        return decimal_fields(info.type)
    if isinstance(info, msgspec.inspect.UnionType):
        return frozenset().union(*(decimal_fields(t) for t in info.types))
    if isinstance(info, msgspec.inspect.ListType):
        return decimal_fields(info.item_type)
    if isinstance(info, msgspec.inspect.StructType):
        return frozenset(f.encode_name for f in info.fields if is_decimal(f.type))
    return frozenset()


def is_decimal(info: msgspec.inspect.Type) -> bool:
    if isinstance(info, msgspec.inspect.Metadata):
        return is_decimal(info.type)
    if isinstance(info, msgspec.inspect.UnionType):
        return any(is_decimal(t) for t in info.types)
    return isinstance(info, msgspec.inspect.DecimalType)


def sneaks_digits(text: str) -> bool:
    """Text that Python's Decimal() reads as a number although it is not one in ASCII digits (`١٢٣`, `1_0`);
    other bad text (`NaN`, `abc`) is left to the money rules, which say why."""
    return (not text.isascii() or "_" in text) and not DECIMAL.fullmatch(text.strip())


def non_ascii_numbers(type_: Any, rows: list[Any], labels: list[Any]) -> list[Issue]:
    """Decimal fields of `type_` given as text that is not a number in ASCII digits, one issue each."""
    numeric = decimal_fields(msgspec.inspect.type_info(type_))
    return [
        Issue(label, name, f"{row[name]!r} is not a number in ASCII digits")
        for label, row in zip(labels, rows, strict=True)
        if isinstance(row, dict)
        for name in numeric
        if isinstance(row.get(name), str) and sneaks_digits(row[name])
    ]


def decimal_column(values: pd.Series, target: pa.DataType, name: str, issues: Issues) -> pd.Series:
    """Exact money: decimals pass, whole numbers and strings are parsed, floats must be exact at 2 places."""
    huge = pd.Series(False, index=values.index)
    if isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_decimal(values.dtype.pyarrow_dtype):
        array = pa.array(values.array)
    else:
        if all_text(values) or pd.api.types.is_integer_dtype(values.dtype):
            # Text and whole numbers are exact as they stand: Arrow parses them, no Python per value.
            array = pa.array(values.astype(pd.StringDtype()).array, pa.string())
        else:
            text = values.map(
                lambda v: None if pd.isna(v) else (f"{v:.2f}" if isinstance(v, float) else str(v))
            )
            array = pa.array(text.tolist(), pa.string(), from_pandas=True)  # map() gives NaN for None
            exact = values.map(lambda v: not isinstance(v, float) or pd.isna(v) or round(v, 2) == v)
            issues.where(~exact, name, decimal_reason(Decimal("0.001"), target))
        # pyarrow 26 crashes the process casting a text like '1e-999999999' to a decimal. An exponent of three
        # or more digits never fits numeric(14, 2): such cells are refused before Arrow parses them.
        matched = pc.fill_null(pc.match_substring_regex(array, HUGE_EXPONENT), False)
        huge = pd.Series(matched.to_numpy(zero_copy_only=False), index=values.index)
        if huge.any():
            issues.add(values.index[huge], name, values[huge].map(lambda v: decimal_reason(v, target)))
            array = pc.if_else(matched, pa.scalar(None, pa.string()), array)
    try:
        converted = pc.cast(array, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # Some cell does not fit: find which, one by one (a refused frame only), and say why.
        converted = pa.array([_one_decimal(v, target) for v in array.to_pylist()], target)
        failed = pd.Series(converted.is_null().to_numpy(zero_copy_only=False), index=values.index)
        failed &= values.notna() & ~huge
        issues.add(values.index[failed], name, values[failed].map(lambda v: decimal_reason(v, target)))
    return pd.Series(converted, index=values.index, dtype=pd.ArrowDtype(target))


def decimal_reason(value: Any, target: pa.DataType) -> str:
    """Why `value` is not an exact amount of the column's numeric(precision, scale)."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return "is not a number"
    if not amount.is_finite():
        return "is not a finite amount"
    most = Decimal(10) ** (target.precision - target.scale) - Decimal(10) ** -target.scale
    # Judged by exponent first: abs() of 1e999999999 overflows the decimal context before any comparison.
    if amount.adjusted() > most.adjusted() or abs(amount) > most:
        return f"is out of range (at most {most})"
    if amount != amount.quantize(Decimal(10) ** -target.scale):
        return f"has more than {target.scale} decimal places"
    return f"expected an exact amount with at most {target.scale} decimals"


def _one_decimal(value: Any, target: pa.DataType) -> Any:
    try:
        return pc.cast(pa.array([value]), target)[0].as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
