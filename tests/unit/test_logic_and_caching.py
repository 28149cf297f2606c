"""Pure parts of the trees, select items and ETag matching (no database)."""

from __future__ import annotations

import pytest

from sidecar.caching import matches
from sidecar.grammar import Filter, GrammarError, parse_read
from sidecar.logic import Group, leaves, parse_group
from sidecar.projection import Item, parse_item


def test_a_nested_tree_keeps_its_members_in_order():
    tree = parse_group("not.or", '(a.eq.1,and(b.in.(x,"y,z")),c.not.is.null)')
    assert tree == Group(
        "or",
        (
            Filter("a", "eq", "1"),
            Group("and", (Filter("b", "in", ("x", "y,z")),)),
            Filter("c", "is", "null", negated=True),
        ),
        negated=True,
    )
    assert [leaf.column for leaf in leaves((tree,))] == ["a", "b", "c"]


@pytest.mark.parametrize("raw", ["(a.eq.1", "a.eq.1", "(a.eq.1))", "()", "(a)", "(a.zz.1)"])
def test_a_malformed_tree_is_refused(raw):
    with pytest.raises(GrammarError):
        parse_group("or", raw)


def test_a_tree_deeper_than_eight_levels_is_refused():
    with pytest.raises(GrammarError, match="levels deep"):
        parse_group("or", "(" + "and(" * 9 + "a.eq.1" + ")" * 9 + ")")


def test_trees_are_kept_beside_the_filters():
    read = parse_read([("plan", "eq.pro"), ("or", "(a.eq.1,b.eq.2)")])
    assert read.filters == (Filter("plan", "eq", "pro"),) and len(read.groups) == 1


@pytest.mark.parametrize(
    ("raw", "item"),
    [
        ("plan", Item("plan", "plan")),
        ("p:plan", Item("p", "plan")),
        ("count()", Item("count", None, "count")),
        ("balance.sum()", Item("sum", "balance", "sum")),
        ("total:balance.sum()", Item("total", "balance", "sum")),
    ],
)
def test_select_items_read_as_postgrest_names_them(raw, item):
    assert parse_item(raw) == item


@pytest.mark.parametrize("raw", ["balance.median()", "sum()", "a::text", "x:"])
def test_select_items_this_api_does_not_take_are_refused(raw):
    with pytest.raises(GrammarError):
        parse_item(raw)


def test_if_none_match_is_compared_weakly_and_as_a_list():
    assert matches('W/"abc"', 'W/"abc"') and matches('"abc"', 'W/"abc"')
    assert matches('"x", W/"abc"', 'W/"abc"') and matches("*", 'W/"abc"')
    assert not matches('W/"abd"', 'W/"abc"')
