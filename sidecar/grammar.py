"""The PostgREST read grammar, parsed into plain values (no SQL here, no column checks: see `sidecar.query`).

>>> parse_filter("status", "not.in.(closed,suspended)")
Filter(column='status', operator='in', value=('closed', 'suspended'), negated=True)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is")
IS_VALUES = ("null", "true", "false")
RESERVED = frozenset({"select", "order", "limit", "offset"})
MAX_BIGINT = 2**63 - 1


class GrammarError(ValueError):
    """A query parameter or header that does not follow the grammar; `message` says which and why."""

    def __init__(self, message: str, details: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.details, self.hint = message, details, hint


@dataclass(frozen=True)
class Filter:
    column: str
    operator: str
    value: str | tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class Order:
    column: str
    descending: bool = False
    nulls: Literal["first", "last"] | None = None


@dataclass(frozen=True)
class ReadQuery:
    """One read: filters ANDed together, the columns to return, the order and the page."""

    filters: tuple[Filter, ...] = ()
    select: tuple[str, ...] | None = None
    order: tuple[Order, ...] = ()
    limit: int | None = None
    offset: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def parse_filter(column: str, raw: str) -> Filter:
    """`column=op.value`, optionally `not.op.value`."""
    negated = raw.startswith("not.")
    rest = raw.removeprefix("not.")
    operator, dot, value = rest.partition(".")
    if not dot or operator not in OPERATORS:
        problem = (
            f"no operator: did you mean {column}=eq.{raw}?" if not dot else f"unknown operator {operator!r}"
        )
        raise GrammarError(
            f"{column}={raw}: {problem}",
            details=f"parameters other than {', '.join(sorted(RESERVED))} filter the column they name: "
            f"{column}=[not.]OPERATOR.VALUE",
            hint=f"operators: {', '.join(OPERATORS)}",
        )
    if operator == "in":
        return Filter(column, operator, parse_list(column, value), negated)
    if operator == "is" and value not in IS_VALUES:
        raise GrammarError(f"{column}=is.{value}: is takes null, true or false")
    if operator in ("like", "ilike"):
        value = value.replace("*", "%")
    return Filter(column, operator, value, negated)


def parse_list(column: str, raw: str) -> tuple[str, ...]:
    """`(a,b,"c,d")`: the values of an `in` filter; double quotes keep commas inside a value."""
    if not (raw.startswith("(") and raw.endswith(")")):
        raise GrammarError(f"{column}=in.{raw}: the list must be in parentheses, e.g. in.(a,b)")
    items: list[str] = []
    current, quoted, was_quoted = "", False, False
    for char in raw[1:-1]:
        if char == '"':
            quoted, was_quoted = not quoted, True
        elif char == "," and not quoted:
            items.append(current)
            current, was_quoted = "", False
        else:
            current += char
    if quoted:
        raise GrammarError(f"{column}=in.{raw}: a double quote is not closed")
    if current or was_quoted or items:
        items.append(current)
    return tuple(items)


def parse_order(raw: str) -> tuple[Order, ...]:
    """`col.desc.nullslast,col2.asc`."""
    orders = []
    for term in raw.split(","):
        column, *modifiers = term.split(".")
        descending, nulls = False, None
        for modifier in modifiers:
            if modifier in ("asc", "desc"):
                descending = modifier == "desc"
            elif modifier in ("nullsfirst", "nullslast"):
                nulls = "first" if modifier == "nullsfirst" else "last"
            else:
                raise GrammarError(
                    f"order={raw}: unknown modifier {modifier!r}", hint="use asc, desc, nullsfirst, nullslast"
                )
        if not column:
            raise GrammarError(f"order={raw}: a column name is missing")
        orders.append(Order(column, descending, nulls))  # type: ignore[arg-type]
    return tuple(orders)


def parse_select(raw: str) -> tuple[str, ...]:
    """`col1,col2` (or `*`)."""
    names = tuple(name.strip() for name in raw.split(","))
    if any(not name for name in names):
        raise GrammarError(f"select={raw}: an empty column name")
    return names


def is_count(raw: str) -> bool:
    """ASCII digits small enough for a bigint (`str.isdigit` also takes superscripts and Arabic-Indic)."""
    return raw.isascii() and raw.isdigit() and int(raw) <= MAX_BIGINT


def parse_count(name: str, raw: str) -> int:
    if not is_count(raw):
        raise GrammarError(f"{name}={raw}: must be a whole number, 0 or more (at most {MAX_BIGINT})")
    return int(raw)


def refuse_control_characters(name: str, raw: str) -> None:
    """No control character reaches a query: PostgreSQL cannot take NUL, and the others are never meant."""
    bad = next((c for c in name + raw if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise GrammarError(
            f"{name!r}: the parameter contains a control character (U+{ord(bad):04X})",
            hint="percent-encode only printable text",
        )


def parse_range(header: str) -> tuple[int, int | None]:
    """The `Range` header, `0-49` or `items=0-49` or `10-`: (offset, limit or None)."""
    first, dash, last = header.strip().removeprefix("items=").partition("-")
    if not dash or not is_count(first) or (last and not is_count(last)):
        raise GrammarError(f"Range: {header}: expected FIRST-LAST, e.g. 0-49")
    start = int(first)
    if last and int(last) < start:
        raise GrammarError(f"Range: {header}: the last item comes before the first")
    return start, (int(last) - start + 1 if last else None)


def parse_read(
    params: Iterable[tuple[str, str]], range_header: str | None = None, extra: Iterable[str] = ()
) -> ReadQuery:
    """All of a read's query parameters (and its Range header); names in `extra` are kept aside."""
    kept = frozenset(extra)
    filters: list[Filter] = []
    select: tuple[str, ...] | None = None
    order: tuple[Order, ...] = ()
    limit: int | None = None
    offset = 0
    extras: dict[str, str] = {}
    if range_header:
        offset, limit = parse_range(range_header)
    for name, raw in params:
        refuse_control_characters(name, raw)
        if name == "select":
            select = None if raw.strip() == "*" else parse_select(raw)
        elif name == "order":
            order = parse_order(raw)
        elif name == "limit":
            limit = parse_count(name, raw)
        elif name == "offset":
            offset = parse_count(name, raw)
        elif name in kept:
            extras[name] = raw
        else:
            filters.append(parse_filter(name, raw))
    return ReadQuery(tuple(filters), select, order, limit, offset, extras)
