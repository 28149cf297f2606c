"""One filter of the PostgREST grammar, `column=[not.]op.value`, parsed into a plain value.

>>> parse_filter("status", "not.in.(closed,suspended)")
Filter(column='status', operator='in', value=('closed', 'suspended'), negated=True)
"""

from __future__ import annotations

from dataclasses import dataclass

OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is")
IS_VALUES = ("null", "true", "false")
RESERVED = frozenset({"select", "order", "limit", "offset", "or", "and"})


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
