"""Check a whole frame at once (vectorised): every bad cell becomes one (row, column, reason) issue."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Table, UniqueConstraint

from toolkit.errors import READABLE_YEARS
from toolkit.frames.decimals import decimal_column
from toolkit.frames.schema import arrow_type, categories, pandas_dtype
from toolkit.frames.text import UNSTORABLE, all_text, one_of, unstorable

# The timestamps every reader here can hold (Python's datetime); PostgreSQL takes 4713 BC to 294276 AD.
FIRST_READABLE, PAST_READABLE = (
    pd.Timestamp(datetime(1, 1, 1), tz="UTC"),
    pd.Timestamp(datetime(9999, 12, 31), tz="UTC") + pd.Timedelta(days=1),
)

Check = Callable[[pd.DataFrame], Iterable[tuple["pd.Series[bool]", str, str]]]


@dataclass(frozen=True)
class FrameSpec:
    """What a frame of one model may hold, and what an insert needs."""

    table: Table
    editable: tuple[str, ...]
    read_only: tuple[str, ...]
    required: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    normalise: dict[str, Callable[[pd.Series], pd.Series]] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    key: str = "id"
    update_guard: str | None = None
    version: str | None = None
    unique: tuple[tuple[str, ...], ...] = ()
    read_only_why: dict[str, str] = field(default_factory=dict)

    @property
    def known(self) -> tuple[str, ...]:
        return (self.key, *self.editable, *self.read_only)

    def read_only_reason(self, name: str, *, new: bool = False) -> str:
        """Why a value of read-only `name` is refused: changed on a row, or given for a new one."""
        why = f" ({self.read_only_why[name]})" if name in self.read_only_why else ""
        return f"is read-only: a new row cannot set it{why}" if new else f"is read-only and was changed{why}"


def derived_spec(
    table: Table,
    read_only: tuple[str, ...],
    version: str | None,
    checks: tuple[Check, ...] = (),
    keys: tuple[tuple[str, ...], ...] = (),
) -> FrameSpec:
    """The rules a model's own columns give: the id is the key, `read_only` and `version` (and columns the
    database moves) are read-only, every other column editable, and those with neither a default nor NULL
    required for a new row."""
    moved = tuple(c.name for c in table.columns if c.info.get("moved_by_database"))
    fixed = tuple(dict.fromkeys((*read_only, *((version,) if version else ()), *moved)))
    editable = tuple(c.name for c in table.columns if c.name != "id" and c.name not in fixed)
    required = tuple(
        name
        for name in editable
        if not table.c[name].nullable
        and table.c[name].server_default is None
        and table.c[name].default is None
    )
    return FrameSpec(
        table, editable, fixed, required, checks=checks, version=version, unique=unique_keys(table, keys)
    )


def unique_keys(table: Table, natural: tuple[tuple[str, ...], ...] = ()) -> tuple[tuple[str, ...], ...]:
    """The keys whose values no two rows share: `natural` ones, and the table's unique columns, constraints
    and (whole-table) unique indexes, the primary key aside."""
    keys = list(natural)
    keys += [(c.name,) for c in table.columns if c.unique and not c.primary_key]
    keys += [tuple(c.columns.keys()) for c in table.constraints if isinstance(c, UniqueConstraint)]
    keys += [
        tuple(c.name for c in index.columns)
        for index in table.indexes
        if index.unique and index.dialect_kwargs.get("postgresql_where") is None
    ]
    return tuple(dict.fromkeys(keys))


class Issues:
    """Collects (row, column, reason) triples; rows are the frame's own index labels."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, rows: Iterable[Any], column: str | None, reason: str | pd.Series) -> None:
        labels = list(rows)
        if labels:
            reasons = list(reason) if isinstance(reason, pd.Series) else [reason] * len(labels)
            self.parts.append(pd.DataFrame({"row": labels, "column": column, "reason": reasons}))

    def where(self, mask: pd.Series, column: str | None, reason: str) -> None:
        self.add(mask.index[mask.fillna(False).to_numpy(dtype=bool)], column, reason)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"row": [], "column": pd.Series([], dtype="string"), "reason": []})
        return pd.concat(self.parts, ignore_index=True)


def coerce_column(values: pd.Series, spec: FrameSpec, name: str, issues: Issues) -> pd.Series:
    """`values` in the column's faithful dtype; cells that cannot be converted become NA and issues."""
    column = spec.table.c[name]
    target = arrow_type(column)
    present = values.notna()
    cats = categories(column)
    if cats is not None:
        if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.categories.inferred_type == "string":
            typed = values.cat.set_categories(cats)  # recodes the categories, not the million cells
        else:
            text = values.astype("string")
            typed = text.where(text.isin(cats)).astype(pd.CategoricalDtype(cats))
        issues.where(present & typed.isna(), name, one_of(cats))
        return typed
    if pa.types.is_string(target):
        if not all_text(values):  # numbers, booleans, times, bytes: not text, whatever the column's dtype
            is_text = values.astype(object).map(lambda v: isinstance(v, str)).astype(bool)
            issues.where(present & ~is_text, name, "expected text")
            values = values.astype(object).where(is_text, None)
        bad = unstorable(values)
        issues.where(bad, name, UNSTORABLE)
        return values.where(~bad).astype(pd.StringDtype())
    if pa.types.is_int64(target):
        numbers = pd.to_numeric(values, errors="coerce")
        bad = present & (numbers.isna() | (numbers.fillna(0) % 1 != 0))
        issues.where(bad, name, "expected a whole number")
        huge = present & ~bad & ~(numbers.fillna(0).abs() < 2**63)
        issues.where(huge, name, "is out of range (a whole number of at most 19 digits, below 2**63)")
        return numbers.where(~(bad | huge)).astype("Int64")
    if pa.types.is_decimal(target):
        return decimal_column(values, target, name, issues)
    if pa.types.is_timestamp(target):
        # A number is not a time: pandas would read 1 as 1970-01-01 00:00:00.000000001.
        number = numbers_in(values, present)
        given = values.astype(object).where(~number, None) if number.any() else values
        stamps = pd.to_datetime(given, utc=True, errors="coerce")
        issues.where(present & (number | stamps.isna()), name, "expected a timestamp")
        outside = stamps.notna() & ((stamps < FIRST_READABLE) | (stamps >= PAST_READABLE))
        issues.where(outside, name, READABLE_YEARS)
        return stamps.where(~outside).astype(pandas_dtype(column))
    return values


def numbers_in(values: pd.Series, present: pd.Series) -> pd.Series:
    """Cells holding a number (or a boolean): every present one of a numeric column, any of an object column
    (looked at one by one), none of a column of times or text (a million times are not boxed to ask)."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return present
    if values.dtype == object:
        return values.map(lambda v: isinstance(v, Number)).astype(bool)
    return pd.Series(False, index=values.index)


def repeated(values: pd.DataFrame) -> pd.Series:
    """Rows whose values (all given) another row repeats."""
    return values.notna().all(axis=1) & values.duplicated(keep=False)


def quieted(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each signalling Decimal NaN as a quiet one (missing): pandas cannot even ask whether a
    signalling one is missing (`isna` raises InvalidOperation)."""
    objects = [n for n, kind in frame.dtypes.items() if kind == np.dtype("O")]
    for name in (n for n in objects if objects.count(n) == 1):  # a repeated name is refused later
        try:
            frame[name].isna()
        except InvalidOperation:
            quiet = frame[name].map(lambda v: Decimal("NaN") if isinstance(v, Decimal) and v.is_snan() else v)
            frame = frame.copy(deep=False)
            frame[name] = quiet
    return frame


def check_frame(frame: pd.DataFrame, spec: FrameSpec, issues: Issues, *, inserting: bool) -> pd.DataFrame:
    """Unknown columns refused; every known column coerced, normalised and checked."""
    frame = quieted(frame)
    unknown = [c for c in frame.columns if c not in spec.known]
    for name in unknown:
        issues.add([None], str(name), f"unknown column (known: {', '.join(spec.known)})")
    if inserting and len(frame) and not any(n in frame.columns for n in spec.editable):
        issues.add([None], None, f"no column a new row can be given (writable: {', '.join(spec.editable)})")
    if inserting:
        for name in spec.required:
            if name not in frame.columns:
                issues.add([None], name, "required column is missing")
    for level in frame.index.names:
        if level in spec.known and level not in frame.columns:
            issues.add([None], str(level), "is the frame's index, not a column: call reset_index() first")
    if frame.index.has_duplicates:
        issues.where(
            pd.Series(frame.index.duplicated(keep=False), index=frame.index), None, "duplicate row label"
        )
    clean = pd.DataFrame(index=frame.index)
    for name in spec.known:
        if name in frame.columns:
            clean[name] = coerce_column(frame[name], spec, name, issues)
            if name in spec.normalise:
                clean[name] = spec.normalise[name](clean[name])
    is_new = clean[spec.key].isna() if spec.key in clean.columns else pd.Series(True, index=frame.index)
    for name in spec.read_only:
        if name in frame.columns:  # dropped silently, a new account's balance would be 0 without a word
            issues.where(is_new & frame[name].notna(), name, spec.read_only_reason(name, new=True))
    for name in spec.editable:
        if name not in clean.columns or spec.table.c[name].nullable:
            continue
        empty = frame[name].isna()
        if name not in spec.defaults and spec.table.c[name].server_default is not None:
            issues.where(~is_new & empty, name, "cannot be emptied (found NaN/None)")  # new rows: the default
        elif name in spec.defaults:
            clean.loc[is_new & empty, name] = spec.defaults[name]
            issues.where(~is_new & empty, name, "cannot be emptied (found NaN/None)")
        else:
            issues.where(empty, name, "is required (found NaN/None)")
    for key in spec.unique:
        if set(key) <= set(clean.columns):
            issues.where(
                repeated(clean[list(key)]),
                key[-1],
                "appears in more than one row"
                if len(key) == 1
                else f"({', '.join(key)}) appears in more than one row",
            )
    for check in spec.checks:
        for mask, name, reason in check(clean):
            issues.where(mask, name, reason)
    return clean
