"""`:name` parameters are found where PostgreSQL would read a value, nowhere else."""

from __future__ import annotations

import pytest

from toolkit.errors import ValidationFailed
from toolkit.services.sql_params import bind


@pytest.mark.parametrize(
    ("statement", "params", "sql"),
    [
        ("select :a::int", {"a": 1}, "select %(a)s::int"),
        ("select x::text from t where y = :y", {"y": 1}, "select x::text from t where y = %(y)s"),
        ("select ':a', 'it''s :a'", {}, "select ':a', 'it''s :a'"),
        ("select E'\\' :a'", {}, "select E'\\' :a'"),
        ('select 1 as ":a"', {}, 'select 1 as ":a"'),
        ("select $fn$ :a $fn$, $$ :b $$", {}, "select $fn$ :a $fn$, $$ :b $$"),
        ("select 1 -- :a\n, 2 /* :b */", {}, "select 1 -- :a\n, 2 /* :b */"),
        ("select 5 % :m", {"m": 2}, "select 5 %% %(m)s"),
        ("select :a, :a", {"a": 1}, "select %(a)s, %(a)s"),
        ("select a$1 from t", {}, "select a$1 from t"),
    ],
)
def test_parameters_are_found_as_postgresql_reads_the_text(statement, params, sql):
    assert bind(statement, params) == sql


def test_every_parameter_must_be_given_and_used_and_positional_ones_are_refused():
    with pytest.raises(ValidationFailed) as refused:
        bind("select :a, $1 where :b", {"a": 1, "c": 2})
    assert [(i.field, i.reason) for i in refused.value.issues] == [
        ("b", "the statement uses :b; pass b=..."),
        ("c", "the statement has no :c"),
        ("$1", "qa.sql() binds values by name: write :name in the statement and pass name=... ($1)"),
    ]


@pytest.mark.parametrize(
    ("statement", "params", "sent"),
    [
        ("select 1 from t where e like '%@example.com'", {}, "select 1 from t where e like '%%@example.com'"),
        (
            "select '100%' as \"a%b\" -- 5% off\n, :x",
            {"x": 1},
            "select '100%%' as \"a%%b\" -- 5%% off\n, %(x)s",
        ),
        ("select $$%s$$", {}, "select $$%%s$$"),
    ],
    ids=["LIKE pattern", "string, quoted name and comment", "dollar body"],
)
def test_a_percent_sign_in_a_string_or_comment_reaches_the_server_as_written(statement, params, sent):
    assert bind(statement, params) == sent
