"""The values equality filters compare columns with (`frame(email=...)`, `count(id=[1, 2])`): each converted
to its column's Python type before any SQL runs, or refused naming the filter, as a frame's cells are."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from sqlalchemy import BigInteger, ColumnElement, Integer, SmallInteger

from toolkit.errors import Issue, ValidationFailed
from toolkit.frames.text import UNSTORABLE, storable

# Most specific first: BigInteger and SmallInteger are both kinds of Integer.
INTEGER_RANGES = {BigInteger: 2**63, SmallInteger: 2**15, Integer: 2**31}


def equalities(
    column: Callable[[str], ColumnElement[Any]], filters: Mapping[str, Any]
) -> list[ColumnElement[bool]]:
    """`{"status": "active", "id": [1, 2]}` as conditions: a list means IN, None IS NULL."""
    conditions: list[ColumnElement[bool]] = []
    for key, value in filters.items():
        col = column(key)
        if isinstance(value, list | tuple | set | frozenset):
            conditions.append(col.in_([filter_value(col, key, v) for v in value]))
        else:
            conditions.append(col.is_(None) if value is None else col == filter_value(col, key, value))
    return conditions


def filter_value(column: ColumnElement[Any], name: str, value: Any) -> Any:
    """`value` as the column holds it (`"42"` for an id is 42), or ValidationFailed naming `name`."""
    if value is None or isinstance(value, ColumnElement):
        return value
    try:
        kind = column.type.python_type
    except NotImplementedError:  # JSONB and the like: the driver adapts it
        return value
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        choices = [str(m.value) for m in kind]
        if str(getattr(value, "value", value)) not in choices:
            raise ValidationFailed(Issue(None, name, f"must be one of {', '.join(choices)}, got {value!r}"))
        return value
    if kind not in (int, str, bool):  # times, decimals: the driver adapts what it is given
        return value
    try:
        converted = msgspec.convert(value, kind, strict=False)
    except (msgspec.ValidationError, TypeError):
        raise ValidationFailed(Issue(None, name, f"expected {what(kind)}, got {value!r}")) from None
    if isinstance(converted, int) and not isinstance(converted, bool):
        bound = next((b for t, b in INTEGER_RANGES.items() if isinstance(column.type, t)), None)
        if bound is not None and not -bound <= converted < bound:
            raise ValidationFailed(Issue(None, name, f"{converted} is out of range for the column"))
    if isinstance(converted, str) and not storable(converted):
        raise ValidationFailed(Issue(None, name, UNSTORABLE))
    return converted


def what(kind: type) -> str:
    return {int: "a whole number", str: "text", bool: "true or false"}.get(kind, f"a {kind.__name__}")
