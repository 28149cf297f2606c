"""Rules on text cells, each defined once and applied to a whole column (one value is a column of one)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

UNSTORABLE = "contains a character the database cannot store (NUL or an unpaired surrogate)"
INVISIBLE = "contains control or invisible formatting characters"
# Control, format (zero-width, bidi overrides, BOM), private-use and line/paragraph separators: none belongs
# in a name or an address. Unpaired surrogates never reach here (UNSTORABLE refuses them first).
_INVISIBLE = r"[\p{Cc}\p{Cf}\p{Co}\p{Zl}\p{Zp}]"


def one_of(values: list[str]) -> str:
    """The reason given for a value outside an enum, on every path."""
    return f"must be one of {', '.join(values)}"


def all_text(values: pd.Series) -> bool:
    """Whether every present cell is a str (pandas checks an object column in C, not per value here)."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def unstorable(values: pd.Series) -> pd.Series:
    """Cells PostgreSQL cannot hold as text: a NUL character, or an unpaired surrogate (not UTF-8)."""
    try:
        text = as_arrow(values)
    except UnicodeEncodeError:  # rare: find the offending cells one by one
        return values.map(lambda v: isinstance(v, str) and not storable(v)).astype(bool)
    return _mask(pc.match_substring(text, "\x00"), values.index)


def invisible(values: pd.Series) -> pd.Series:
    """Cells holding a control or invisible formatting character (the column holds storable text only)."""
    return _mask(pc.match_substring_regex(as_arrow(values), _INVISIBLE), values.index)


def matches(values: pd.Series, pattern: str) -> pd.Series:
    """Whether each cell matches `pattern`, in Arrow's regex engine (RE2); an empty cell does not."""
    return _mask(pc.match_substring_regex(as_arrow(values), pattern), values.index)


def outside(values: pd.Series, allowed: pa.Array) -> pd.Series:
    """Cells holding a value not in `allowed` (Arrow strings, built once); an empty cell is not outside."""
    text = as_arrow(values)
    return _mask(pc.and_(text.is_valid(), pc.invert(pc.is_in(text, value_set=allowed))), values.index)


def as_arrow(values: pd.Series) -> pa.Array:
    """A text column as Arrow strings (no copy when pandas already keeps it in Arrow)."""
    source = values.array if isinstance(values.dtype, pd.StringDtype) else values
    return pa.array(source, pa.string(), from_pandas=True)


def _mask(found: Any, index: pd.Index) -> pd.Series:
    return pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=index, dtype=bool)


def storable(text: str) -> bool:
    """Whether PostgreSQL can hold `text`: UTF-8 encodable (no unpaired surrogate) and without NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text
