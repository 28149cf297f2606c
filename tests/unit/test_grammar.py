from __future__ import annotations

import pytest

from sidecar.grammar import Filter, GrammarError, Order, parse_filter, parse_order, parse_range, parse_read


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("eq.active", Filter("c", "eq", "active")),
        ("not.eq.active", Filter("c", "eq", "active", negated=True)),
        ("gte.2025-01-01", Filter("c", "gte", "2025-01-01")),
        ("ilike.*ada*", Filter("c", "ilike", "%ada%")),
        ("in.(a,b)", Filter("c", "in", ("a", "b"))),
        ('in.("a,b",c)', Filter("c", "in", ("a,b", "c"))),
        ("in.()", Filter("c", "in", ())),
        ("is.null", Filter("c", "is", "null")),
        ("not.is.true", Filter("c", "is", "true", negated=True)),
        ("eq.a.b", Filter("c", "eq", "a.b")),
    ],
)
def test_filters_parse_into_column_operator_value(raw, expected):
    assert parse_filter("c", raw) == expected


@pytest.mark.parametrize("raw", ["equals.1", "active", "is.maybe", "in.a,b", 'in.("a)', "not.", ""])
def test_malformed_filters_are_refused_with_a_message(raw):
    with pytest.raises(GrammarError, match="c="):
        parse_filter("c", raw)


def test_a_filter_without_an_operator_suggests_one_and_says_what_parameters_mean():
    with pytest.raises(GrammarError) as missing:
        parse_filter("plan", "pro")
    assert missing.value.message == "plan=pro: no operator: did you mean plan=eq.pro?"
    assert "parameters other than and, limit, offset, or, order, select filter the column" in str(
        missing.value.details
    )
    with pytest.raises(GrammarError) as unknown:
        parse_filter("plan", "equals.pro")
    assert unknown.value.message == "plan=equals.pro: unknown operator 'equals'"


def test_order_takes_direction_and_nulls_placement():
    assert parse_order("a.desc.nullslast,b,c.asc.nullsfirst") == (
        Order("a", True, "last"),
        Order("b"),
        Order("c", False, "first"),
    )
    with pytest.raises(GrammarError, match="sideways"):
        parse_order("a.sideways")


def test_range_header_becomes_offset_and_limit():
    assert parse_range("0-49") == (0, 50)
    assert parse_range("items=10-") == (10, None)
    for bad in ("5-1", "a-b", "10"):
        with pytest.raises(GrammarError):
            parse_range(bad)


def test_a_whole_query_string_splits_into_its_parts():
    read = parse_read(
        [
            ("select", "id,email"),
            ("status", "eq.active"),
            ("order", "id.desc"),
            ("limit", "5"),
            ("offset", "10"),
            ("group_by", "plan"),
        ],
        extra=["group_by"],
    )
    assert read.select == ("id", "email") and read.limit == 5 and read.offset == 10
    assert read.filters == (Filter("status", "eq", "active"),)
    assert read.order == (Order("id", True),) and read.extra == {"group_by": "plan"}
    with pytest.raises(GrammarError, match="whole number"):
        parse_read([("limit", "-1")])


@pytest.mark.parametrize("digits", ["\u00b2", "\u0661\u0662", "\uff11", "1_0", "99999999999999999999999"])
def test_counts_and_ranges_take_ascii_digits_that_fit_a_bigint_only(digits):
    with pytest.raises(GrammarError):
        parse_read([("limit", digits)])
    with pytest.raises(GrammarError):
        parse_range(f"{digits}-")
    with pytest.raises(GrammarError):
        parse_range(f"0-{digits}")
