"""The PostgREST read grammar, parsed into plain values (no SQL here, no column checks: see `sidecar.query`).

One filter is `sidecar.filters`, a logical tree `sidecar.logic`; this module reads a request's parameters."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sidecar.filters import RESERVED, Filter, GrammarError, parse_filter, parse_list
from sidecar.logic import NAMES, Group, parse_group

MAX_BIGINT = 2**63 - 1
MAX_SELECTED = 100  # items of one `select`; a statement holds at most 1664 columns in PostgreSQL

__all__ = ["RESERVED", "Filter", "GrammarError", "Group", "parse_filter", "parse_list"]


@dataclass(frozen=True)
class Order:
    column: str
    descending: bool = False
    nulls: Literal["first", "last"] | None = None


@dataclass(frozen=True)
class ReadQuery:
    """One read: filters and trees ANDed together, the columns to return, the order and the page."""

    filters: tuple[Filter, ...] = ()
    select: tuple[str, ...] | None = None
    order: tuple[Order, ...] = ()
    limit: int | None = None
    offset: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    groups: tuple[Group, ...] = ()

    @property
    def terms(self) -> tuple[Filter | Group, ...]:
        """The filters and the trees, all ANDed."""
        return (*self.filters, *self.groups)


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
    if len(names) > MAX_SELECTED:
        raise GrammarError(f"select: {len(names)} items; at most {MAX_SELECTED}")
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
    groups: list[Group] = []
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
        elif name in NAMES:
            groups.append(parse_group(name, raw))
        elif name in kept:
            extras[name] = raw
        else:
            filters.append(parse_filter(name, raw))
    return ReadQuery(tuple(filters), select, order, limit, offset, extras, tuple(groups))
