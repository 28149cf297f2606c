"""What a read returns: `select=` items, plain columns or PostgREST's aggregates, and the SELECT for them.

`select=plan,total:balance.sum(),count()` returns one row per plan: the columns named without a function are
grouped by, as PostgREST (v12) does; an item's key is its alias, else its column, else its function's name.
Names come from the model only; a function on a column its type does not suit is a 400 naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select

from sidecar.grammar import GrammarError, Order, ReadQuery
from sidecar.query import Repository, column, ordering, python_type

FUNCTIONS = ("count", "sum", "avg", "min", "max")
NUMBERS = (int, float, Decimal)
ORDERED = (*NUMBERS, str, datetime, date)
_CHECKED: dict[tuple[Repository, tuple[str, ...] | None], tuple[Item, ...]] = {}


@dataclass(frozen=True)
class Item:
    key: str
    column: str | None
    function: str | None = None


def parse_item(raw: str) -> Item:
    """`col`, `alias:col`, `col.sum()`, `alias:col.sum()` or `count()`."""
    alias, colon, body = raw.partition(":")
    alias, body = (alias, body) if colon else ("", raw)
    if ":" in body or not body:
        raise GrammarError(f"select={raw}: expected column, alias:column or column.function()")
    if not body.endswith("()"):
        return Item(alias or body, body)
    name, _, function = body.removesuffix("()").rpartition(".")
    if function not in FUNCTIONS or (not name and function != "count"):
        raise GrammarError(
            f"select={raw}: {function or body!r} is not an aggregate this API takes",
            hint="count(), column.count(), column.sum(), column.avg(), column.min(), column.max()",
        )
    return Item(alias or function, name or None, function)


def items(repository: Repository, read: ReadQuery) -> tuple[Item, ...]:
    """The read's items, each checked against the model (every column when it selects none)."""
    known = _CHECKED.get((repository, read.select))
    if known is not None:
        return known
    found = tuple(map(parse_item, read.select or repository.model.__table__.c.keys()))
    for item in found:
        expression(repository, item)
    if len(_CHECKED) >= 2000:
        _CHECKED.clear()
    _CHECKED[repository, read.select] = found  # depends on nothing else; a refusal is not kept
    return found


def aggregating(found: tuple[Item, ...]) -> bool:
    return any(item.function is not None for item in found)


def expression(repository: Repository, item: Item) -> ColumnElement[Any]:
    """One item as SQL; 400 for a function its column's type does not suit."""
    if item.column is None:
        return func.count()
    col = column(repository, item.column)
    if item.function is None:
        return col
    kind = python_type(col)
    suits = NUMBERS if item.function in ("sum", "avg") else ORDERED if item.function != "count" else (object,)
    if kind is bool or not issubclass(kind, suits):
        raise GrammarError(
            f"select={item.column}.{item.function}(): {item.function} needs a "
            f"{'number' if suits is NUMBERS else 'number, text or time'}; {item.column} is {kind.__name__}"
        )
    aggregate: ColumnElement[Any] = getattr(func, item.function)(col)
    return aggregate


def grouped_order(repository: Repository, found: tuple[Item, ...], orders: tuple[Order, ...]) -> list[Any]:
    """ORDER BY for an aggregated read: grouped columns only, as asked, else all of them ascending."""
    groups = [item.column for item in found if item.function is None and item.column]
    for order in orders:
        if order.column not in groups:
            raise GrammarError(
                f"order={order.column}: an aggregated read is ordered by its grouped columns",
                hint=f"grouped here: {', '.join(map(str, groups)) or 'none'}",
            )
    return (ordering(repository, orders) or [])[: len(orders)] or [column(repository, g) for g in groups]


def page_query(
    repository: Repository, found: tuple[Item, ...], where: list[Any], orders: tuple[Order, ...]
) -> Select[Any]:
    """One page of the items; plain reads end with the id (for Link), aggregated ones group by."""
    table = repository.model_table()
    exprs = [expression(repository, item).label(f"pg_{n}") for n, item in enumerate(found)]  # unique names
    if aggregating(found):
        groups = [column(repository, i.column) for i in found if i.function is None and i.column]
        query = select(*exprs).select_from(table).where(*where).group_by(*groups)
        query = query.order_by(*grouped_order(repository, found, orders))
    else:
        query = select(*exprs, table.c.id.label("pg_id")).where(*where)
        query = query.order_by(*(ordering(repository, orders) or [table.c.id]))
    return query.limit(bindparam("limit")).offset(bindparam("offset"))


def unpaged(repository: Repository, found: tuple[Item, ...], where: list[Any]) -> Select[Any]:
    """The rows (or groups) of the read, unpaged: what a count counts and a plan estimates."""
    table = repository.model_table()
    if not aggregating(found):
        return select(table.c.id).where(*where)
    groups = [column(repository, i.column) for i in found if i.function is None and i.column]
    return select(*groups or [func.count()]).select_from(table).where(*where).group_by(*groups)
