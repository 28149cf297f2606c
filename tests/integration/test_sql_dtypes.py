"""`qa.sql()` gives the dtypes `frame()` gives wherever a result column is a model's column, sensible ones for
expressions, and toolkit errors naming the parameter for bad parameters."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from toolkit.errors import ValidationFailed
from toolkit.models.enums import TransactionKind

MONEY = pd.ArrowDtype(pa.decimal128(14, 2))
PLANS = ["free", "pro", "business"]


@pytest.mark.parametrize(
    ("statement", "table"),
    [("accounts", "accounts"), ("transactions", "transactions"), ("audit_log", "audit")],
)
def test_select_star_is_the_frame_cell_for_cell_and_dtype_for_dtype(seeded, statement, table):
    frame = getattr(seeded, table).frame()
    result = seeded.sql(f"select * from {statement} order by id")
    pd.testing.assert_frame_equal(result[frame.columns], frame)  # (the table's order may not be the model's)


def test_model_columns_keep_their_dtypes_through_joins_subqueries_and_aliases(seeded):
    df = seeded.sql(
        """with big as (select * from accounts where balance > :least)
        select b.id as account, b.plan, t.amount, t.kind, t.occurred_at
        from big b join (select * from transactions) t on t.account_id = b.id order by b.id""",
        least=200,
    )
    assert str(df["account"].dtype) == "int64" and df["account"].tolist() == [2, 3, 4, 5]
    assert df["plan"].dtype == pd.CategoricalDtype(PLANS)
    assert df["kind"].dtype == pd.CategoricalDtype([k.value for k in TransactionKind])
    assert df["amount"].dtype == MONEY and df["amount"].sum() == Decimal("1401.00")
    assert str(df["occurred_at"].dtype) == "datetime64[us, UTC]"


def test_an_empty_result_still_has_the_model_dtypes(seeded):
    df = seeded.sql("select id, balance, plan, email from accounts where false")
    assert len(df) == 0
    assert [str(df[c].dtype) for c in ("id", "email")] == ["int64", "string"]
    assert df["balance"].dtype == MONEY and df["plan"].dtype == pd.CategoricalDtype(PLANS)


def test_an_id_emptied_by_an_outer_join_is_a_nullable_integer(seeded):
    df = seeded.sql(
        "select a.id, t.id as posting from accounts a"
        " left join transactions t on t.account_id = a.id and t.amount > 450 order by a.id"
    )
    assert str(df["id"].dtype) == "int64"
    assert str(df["posting"].dtype) == "Int64" and df["posting"].fillna(0).tolist() == [0, 0, 0, 0, 5]


def test_expressions_get_sensible_dtypes(seeded):
    df = seeded.sql(
        """select sum(balance) as total, count(*) as n, max(plan::text) as top, now() as at,
                  cast(1.5 as numeric(6, 2)) as fixed, null::int as nothing, avg(balance) > 1 as rich,
                  jsonb_build_object('n', 1) as doc
           from accounts"""
    )
    assert df["total"].dtype == pd.ArrowDtype(pa.decimal128(38, 2)) and df["total"][0] == Decimal("1501.25")
    assert str(df["n"].dtype) == "Int64" and df["n"][0] == 5
    assert isinstance(df["top"].dtype, pd.StringDtype)
    assert str(df["at"].dtype) == "datetime64[us, UTC]"
    assert df["fixed"].dtype == pd.ArrowDtype(pa.decimal128(6, 2))
    assert str(df["nothing"].dtype) == "Int64" and df["nothing"].isna().all()
    assert str(df["rich"].dtype) == "boolean" and bool(df["rich"][0])
    assert df["doc"][0] == {"n": 1}


def test_a_written_rows_returning_has_the_model_dtypes(seeded):
    df = seeded.sql(
        "update accounts set full_name = 'Renamed' where id = :id returning id, plan, balance",
        write=True,
        id=2,
    )
    assert str(df["id"].dtype) == "int64" and df["plan"].dtype == pd.CategoricalDtype(PLANS)
    assert df["balance"].tolist() == [Decimal("200.25")] and df["balance"].dtype == MONEY


def test_repeated_names_are_kept_in_pandas_and_refused_in_polars_naming_them(seeded):
    statement = "select a.id, t.id from accounts a join transactions t on t.account_id = a.id"
    assert list(seeded.sql(statement).columns) == ["id", "id"]
    with pytest.raises(ValidationFailed, match=r"'id'.*name the columns apart with AS"):
        seeded.sql(statement, as_polars=True)


def test_sql_as_polars_is_the_polars_frame(seeded):
    df = seeded.sql("select * from accounts where country = :c order by id", c="DE", as_polars=True)
    assert df.equals(seeded.accounts.frame(country="DE", as_polars=True))
    assert df.schema["plan"] == pl.Enum(PLANS) and df.schema["balance"] == pl.Decimal(14, 2)


def issues(refused: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str | None, str]]:
    return [(i.field, i.reason) for i in refused.value.issues]


def test_a_missing_or_extra_parameter_is_named_and_nothing_runs(seeded):
    with pytest.raises(ValidationFailed) as missing:
        seeded.sql("select id from accounts where country = :country and plan = :plan", country="DE")
    assert issues(missing) == [("plan", "the statement uses :plan; pass plan=...")]
    with pytest.raises(ValidationFailed) as extra:
        seeded.sql("update accounts set full_name = 'X' where id = :id", write=True, id=1, idd=2)
    assert issues(extra) == [("idd", "the statement has no :idd")]
    assert seeded.accounts.get(1).full_name == "Ada" and len(seeded.audit.frame(action="sql")) == 0


def test_parameters_are_found_as_postgresql_reads_the_text(seeded):
    df = seeded.sql(
        """select :n::int + 1 as n, ':n' as quoted, $$ :n $$ as dollar, e'\\':n' as escaped,
                  5 % 3 as rest -- :n in a comment
           /* :n in another */""",
        n=41,
    )
    assert df.iloc[0].tolist() == [42, ":n", " :n ", "':n", 2]


def test_positional_placeholders_and_unsendable_values_are_named(seeded):
    with pytest.raises(ValidationFailed) as positional:
        seeded.sql("select id from accounts where id = $1")
    assert issues(positional) == [
        ("$1", "qa.sql() binds values by name: write :name in the statement and pass name=... ($1)")
    ]
    with pytest.raises(ValidationFailed, match="field 'who': a object cannot be sent"):
        seeded.sql("select :who as who", who=object())
