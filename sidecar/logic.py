"""PostgREST's logical trees, `or=(a.eq.1,and(b.gt.2,c.lt.3))`, parsed into plain values.

A tree's members are `column.[not.]op.value` filters or nested `and(...)`, `or(...)`, `not.and(...)`,
`not.or(...)`; the parameter itself may be `or`, `and`, `not.or` or `not.and`.

>>> parse_group("or", "(plan.eq.pro,not.and(country.eq.DE,status.in.(open,closed)))")
... # doctest: +NORMALIZE_WHITESPACE
Group(kind='or', members=(Filter(column='plan', operator='eq', value='pro', negated=False),
    Group(kind='and', members=(Filter(column='country', operator='eq', value='DE', negated=False),
    Filter(column='status', operator='in', value=('open', 'closed'), negated=False)), negated=True)),
    negated=False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sidecar.filters import Filter, GrammarError, parse_filter

NAMES = frozenset({"or", "and", "not.or", "not.and"})
MAX_DEPTH = 8


@dataclass(frozen=True)
class Group:
    kind: Literal["and", "or"]
    members: tuple[Filter | Group, ...]
    negated: bool = False


def split_members(name: str, raw: str) -> list[str]:
    """The comma-separated members inside a tree's parentheses (commas inside `(...)` or quotes stay)."""
    members, current, depth, quoted = [], "", 0, False
    for char in raw:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
            if depth < 0:
                raise GrammarError(f"{name}: a parenthesis closes that was never opened")
        elif char == "," and depth == 0 and not quoted:
            members.append(current)
            current = ""
            continue
        current += char
    if depth or quoted:
        raise GrammarError(f"{name}: a parenthesis or double quote is not closed")
    return [*members, current]


def parse_group(name: str, raw: str, depth: int = 0) -> Group:
    """The tree of parameter `name` (`or`, `not.and`, ...) whose value is `(member,member,...)`."""
    negated, kind = name.startswith("not."), name.removeprefix("not.")
    if kind not in ("and", "or") or not (raw.startswith("(") and raw.endswith(")")) or depth > MAX_DEPTH:
        raise GrammarError(
            f"{name}={raw}: expected {kind}=(member,member,...), at most {MAX_DEPTH} levels deep",
            hint="members are column.op.value or nested and(...)/or(...), e.g. or=(plan.eq.pro,balance.gt.0)",
        )
    members: list[Filter | Group] = []
    for member in split_members(f"{name}={raw}", raw[1:-1]):
        head, paren, _ = member.partition("(")
        if paren and head in NAMES:
            members.append(parse_group(head, member[len(head) :], depth + 1))
            continue
        column, dot, rest = member.partition(".")
        if not dot or not column:
            raise GrammarError(f"{name}={raw}: {member!r} is not column.op.value nor and(...)/or(...)")
        members.append(unquoted(parse_filter(column, rest)))
    return Group(kind, tuple(members), negated)  # type: ignore[arg-type]


def unquoted(item: Filter) -> Filter:
    """A member's value without its double quotes (`full_name.eq."Lovelace, Ada"`), as PostgREST reads it."""
    value = item.value
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return Filter(item.column, item.operator, value[1:-1], item.negated)
    return item


def leaves(items: tuple[Filter | Group, ...]) -> list[Filter]:
    """Every filter of the trees, depth first, in the order they were written."""
    out: list[Filter] = []
    for item in items:
        out.extend(leaves(item.members) if isinstance(item, Group) else [item])
    return out
