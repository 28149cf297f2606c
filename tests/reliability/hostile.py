"""Hypothesis strategies for what an attacker sends: control characters, huge exponents, digits that are not
ASCII, operators that do not fit a column's type, deep nesting. Shared by the hostile-input and fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as st

CONTROL = st.characters(categories=("Cc",))  # NUL, ESC, DEL, ...
# digits and numerals that are not ASCII: Arabic-Indic, full-width, superscripts, ...
NON_ASCII_DIGIT = st.characters(categories=("Nd", "No")).filter(lambda c: not c.isascii())

CONTROL_TEXT = st.builds(lambda a, c, b: a + c + b, st.text(max_size=5), CONTROL, st.text(max_size=5))
HUGE_EXPONENT = st.builds(
    lambda mantissa, sign, exponent: f"{mantissa}e{sign}{exponent}",
    st.sampled_from(["1", "-1", "9.99", "0.5"]),
    st.sampled_from(["", "+", "-"]),
    st.one_of(st.integers(min_value=15, max_value=400), st.integers(min_value=10**6, max_value=10**10)),
)
NON_ASCII_NUMBER = st.builds(
    lambda head, digit, tail: head + digit + tail,
    st.sampled_from(["", "1", "-", "0."]),
    NON_ASCII_DIGIT,
    st.sampled_from(["", "0", ".5", "_0"]),
)
ODD_NUMBER = st.sampled_from(["1_000", " 1", "NaN", "Infinity", "-0", "1e", ".", "+", "0x10", "1.5.5"])
HOSTILE_TEXT = st.one_of(CONTROL_TEXT, HUGE_EXPONENT, NON_ASCII_NUMBER, ODD_NUMBER, st.text(max_size=20))

# The filterable columns of each collection, by the type that decides which operators fit.
COLUMNS = {
    "/v1/accounts": ["id", "email", "full_name", "status", "plan", "balance", "created_at", "version"],
    "/v1/transactions": ["id", "account_id", "kind", "amount", "description", "occurred_at"],
    "/v1/audit": ["id", "at", "actor", "entity", "entity_id", "last_entity_id", "changes"],
    "/v1/metrics/accounts": ["id", "email", "status", "balance", "created_at", "country"],
    "/v1/metrics/signups": ["id", "plan", "balance", "created_at", "from", "to", "tz", "bucket"],
    "/v1/metrics/transactions": ["account_id", "kind", "amount", "occurred_at", "from", "to", "tz", "bucket"],
}
OPERATORS = ["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is", "not.eq", "not.is"]


@st.composite
def filters_on(draw: st.DrawFn, columns: list[str]) -> list[tuple[str, str]]:
    """One filter on one of `columns`, with any operator (fitting its type or not) and a hostile value,
    plus sometimes a hostile limit or offset."""
    column = draw(st.sampled_from(columns))
    operator = draw(st.sampled_from(OPERATORS))
    plain = ["true", "false", "null"] if operator.endswith("is") else ["1", "-1", "2025-01-01", "a"]
    value = draw(st.one_of(st.sampled_from(plain), HOSTILE_TEXT))
    raw = f"{operator}.({value},{value})" if operator == "in" else f"{operator}.{value}"
    params = [(column, raw)]
    if draw(st.booleans()):
        params.append((draw(st.sampled_from(["limit", "offset"])), draw(HOSTILE_TEXT)))
    return params


@st.composite
def typed_filter(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    """A route and hostile filters on its columns (`filters_on`)."""
    route = draw(st.sampled_from(sorted(COLUMNS)))
    return route, draw(filters_on(COLUMNS[route]))


def nested(depth: int, inner: str = "") -> str:
    """`inner` inside `depth` JSON arrays (the closing brackets only sometimes: both must be refused)."""
    return "[" * depth + inner + "]" * (depth if depth % 2 else 0)
