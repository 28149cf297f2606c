"""Turn a parsed read into SQLAlchemy conditions and orderings: names only from the model, values bound."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, SmallInteger, and_, false, not_, or_

from sidecar.grammar import Filter, GrammarError, Group, Order, ReadQuery
from toolkit.errors import ValidationFailed
from toolkit.frames.decimals import DECIMAL
from toolkit.mixins.crud import CRUDMixin
from toolkit.times import instant

Repository = type[CRUDMixin[Any, Any, Any]]
INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)

COMPARISONS: dict[str, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]] = {
    "eq": lambda c, v: c == v,
    "neq": lambda c, v: c != v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
    "like": lambda c, v: c.like(v),
    "ilike": lambda c, v: c.ilike(v),
}


class UnknownColumn(GrammarError):
    """A column name the model does not have (HTTP 400, PostgreSQL's undefined_column code)."""


def column(repository: Repository, name: str) -> ColumnElement[Any]:
    """The model's column `name`; an unknown name is a 400 naming the known ones."""
    try:
        return repository.column(name)
    except ValidationFailed as error:
        raise UnknownColumn(error.issues[0].reason) from None


def python_type(col: ColumnElement[Any]) -> type[Any]:
    try:
        return col.type.python_type
    except NotImplementedError:
        return str


def typed(col: ColumnElement[Any], raw: str) -> Any:
    """Convert one filter value to the column's type; a bad value is a 400 naming column and value.

    Numbers are ASCII digits only (Python's int() and Decimal() also take Arabic-Indic digits and `1_0`)
    and must fit the column, so no value reaches decimal arithmetic or PostgreSQL that either would refuse."""
    kind = python_type(col)
    try:
        if issubclass(kind, enum.Enum):
            return kind(raw)
        if kind is bool:
            return {"true": True, "false": False}[raw]
        if kind is int:
            number = int(raw) if INTEGER.fullmatch(raw) else None
            bits = bits_of(col)
            if number is None or not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
                raise ValueError(raw)
            return number
        if kind is Decimal:
            decimal = Decimal(raw) if DECIMAL.fullmatch(raw) else None
            if decimal is None or not fits(col, decimal):
                raise ValueError(raw)
            return decimal
        if kind is datetime:
            return instant(raw)
        if kind is str:
            return raw
    except (ValueError, KeyError, InvalidOperation):
        allowed = f" (one of {', '.join(m.value for m in kind)})" if issubclass(kind, enum.Enum) else ""
        width = f" of {bits_of(col)} bits" if kind is int else ""
        raise GrammarError(f"{col.key}: {raw!r} is not a valid {kind.__name__}{width}{allowed}") from None
    raise GrammarError(f"{col.key} cannot be filtered (its values are {kind.__name__})")


def bits_of(col: ColumnElement[Any]) -> int:
    """The width of an integer column: smallint 16, bigint 64, integer 32."""
    return 16 if isinstance(col.type, SmallInteger) else 64 if isinstance(col.type, BigInteger) else 32


def fits(col: ColumnElement[Any], number: Decimal) -> bool:
    """A number within the column's numeric(p, s) range, judged by its exponent: no arithmetic, so a huge
    exponent (`1e999999999`) cannot overflow the decimal context."""
    if number.is_zero():
        return True
    digits = getattr(col.type, "precision", None) or 1000
    places = getattr(col.type, "scale", None) or 0
    return -1000 < number.adjusted() < digits - places


def values(repository: Repository, item: Filter) -> list[Any]:
    """A filter's values, checked and converted to its column's type (none for `is`)."""
    col = column(repository, item.column)
    if item.operator == "is":
        if item.value != "null" and python_type(col) is not bool:
            raise GrammarError(f"{item.column}: is.{item.value} needs a boolean column; is.null fits any")
        return []
    if item.operator in ("like", "ilike"):
        if python_type(col) is not str:
            raise GrammarError(f"{item.column}: {item.operator} needs a text column")
        pattern = str(item.value)
        if (len(pattern) - len(pattern.rstrip("\\"))) % 2:  # PostgreSQL refuses it, row by row
            raise GrammarError(
                f"{item.column}: a {item.operator} pattern cannot end with its escape character, a backslash",
                hint="\\\\ matches one backslash",
            )
        return [item.value]
    return [typed(col, v) for v in item.value] if isinstance(item.value, tuple) else [typed(col, item.value)]


def condition(repository: Repository, item: Filter, given: list[Any]) -> ColumnElement[bool]:
    """A filter as SQL, with `given` in place of its values (the values themselves, or bind parameters)."""
    col = column(repository, item.column)
    cond: ColumnElement[bool]
    if item.operator == "is":
        cond = col.is_(None) if item.value == "null" else col.is_(item.value == "true")
    elif item.operator == "in":
        cond = col.in_(given) if given else false()  # false() is what an empty IN means, in SQL that keeps
    else:
        cond = COMPARISONS[item.operator](col, given[0])
    return not_(cond) if item.negated else cond


def tree(
    repository: Repository, item: Filter | Group, given: Callable[[Filter], list[Any]]
) -> ColumnElement[bool]:
    """A filter or a logical tree as SQL, each filter with `given(filter)` in place of its values."""
    if isinstance(item, Filter):
        return condition(repository, item, given(item))
    parts = [tree(repository, member, given) for member in item.members]
    joined = and_(*parts) if item.kind == "and" else or_(*parts)
    return not_(joined) if item.negated else joined


def conditions(repository: Repository, read: ReadQuery) -> list[ColumnElement[bool]]:
    """Every filter and tree of the read with its values, ANDed by the caller."""
    return [tree(repository, f, lambda leaf: values(repository, leaf)) for f in read.terms]


def ordering(repository: Repository, orders: tuple[Order, ...]) -> list[ColumnElement[Any]] | None:
    """The ORDER BY; id last so pages are stable. None means the repository's default (id)."""
    if not orders:
        return None
    out: list[ColumnElement[Any]] = []
    for order in orders:
        col = column(repository, order.column)
        term = col.desc() if order.descending else col.asc()
        if order.nulls is not None:
            term = term.nulls_first() if order.nulls == "first" else term.nulls_last()
        out.append(term)
    if "id" not in {o.column for o in orders}:
        out.append(column(repository, "id").asc())
    return out


def selected(repository: Repository, read: ReadQuery) -> tuple[str, ...]:
    """The columns to return, each checked against the model."""
    names = read.select or tuple(repository.model.__table__.c.keys())
    for name in names:
        column(repository, name)
    return names


def is_keyset(read: ReadQuery) -> bool:
    """True when the read pages by id ascending, so `id=gt.LAST` gives the next page."""
    return all(o.column == "id" and not o.descending for o in read.order)
