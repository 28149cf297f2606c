"""Frames an analyst really hands over by mistake: each is refused as a ValidationFailed naming the row, the
column and the reason (never pyarrow's or pandas' own exception), and nothing is written."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from tests.conftest import admin_rows
from toolkit.errors import ValidationFailed


def written(url):
    """What a raw connection sees: rows of every table the frames could touch."""
    return admin_rows(
        url,
        "select (select count(*) from accounts), (select count(*) from transactions),"
        " (select count(*) from audit_log), (select sum(balance) from accounts)",
    )


def new_accounts(**columns):
    return pd.DataFrame({"email": ["n1@example.com", "n2@example.com"], "full_name": ["N", "M"]} | columns)


@pytest.mark.parametrize(
    ("columns", "field"),
    [
        ({"country": [49, 33]}, "country"),
        ({"country": ["DE", "FR"], "full_name": [1.5, 2.5]}, "full_name"),
        ({"country": ["DE", "FR"], "email": [True, False]}, "email"),
    ],
    ids=["int", "float", "bool"],
)
def test_numbers_in_a_text_column_are_expected_text_not_an_arrow_error(seeded, database_url, columns, field):
    before = written(database_url)
    with pytest.raises(ValidationFailed, match=f"row 0, field '{field}': expected text"):
        seeded.accounts.insert_frame(new_accounts(**columns))
    assert written(database_url) == before


@pytest.mark.parametrize(
    ("column", "expected"),
    [("description", "expected text"), ("occurred_at", "expected a timestamp")],
    ids=["text", "whole numbers are no times near 1970"],
)
def test_numbers_in_a_ledger_column_of_text_or_times_are_named(seeded, database_url, column, expected):
    before = written(database_url)
    frame = pd.DataFrame(
        {"account_id": [1, 2], "kind": "deposit", "amount": ["1.00", "2.00"], column: [7, 8]}
    )
    with pytest.raises(ValidationFailed, match=f"row 1, field '{column}': {expected}"):
        seeded.transactions.post_frame(frame)
    assert written(database_url) == before


@pytest.mark.parametrize(
    ("columns", "field", "why"),
    [
        ({"balance": [Decimal("500.00"), Decimal("0.00")]}, "balance", "balances move only by posting"),
        ({"version": [7, 7]}, "version", "the toolkit keeps it"),
        ({"created_at": [pd.Timestamp("2001-01-01", tz="UTC")] * 2}, "created_at", "the toolkit keeps it"),
    ],
)
def test_insert_frame_refuses_a_read_only_column_it_would_drop(seeded, database_url, columns, field, why):
    before = written(database_url)
    with pytest.raises(ValidationFailed, match=f"row 0, field '{field}': is read-only: a new row") as caught:
        seeded.accounts.insert_frame(new_accounts(country=["DE", "FR"], **columns))
    assert why in str(caught.value)
    assert written(database_url) == before


def test_a_posting_with_created_at_is_refused_not_silently_stamped_now(seeded, database_url):
    before = written(database_url)
    frame = pd.DataFrame(
        {"account_id": [1], "kind": "deposit", "amount": ["1.00"], "created_at": ["2001-01-01"]}
    )
    with pytest.raises(ValidationFailed, match="row 0, field 'created_at': is read-only"):
        seeded.transactions.post_frame(frame)
    assert written(database_url) == before


def test_a_changed_created_at_is_not_explained_by_balances(seeded):
    df = seeded.accounts.frame(id=1)
    df["created_at"] = pd.Timestamp("2001-01-01", tz="UTC")
    with pytest.raises(ValidationFailed, match="created_at': is read-only and was changed") as caught:
        seeded.accounts.save(df)
    assert "balance" not in str(caught.value)


def test_a_frame_of_unknown_columns_only_is_named_not_a_syntax_error(seeded, database_url):
    before = written(database_url)
    with pytest.raises(ValidationFailed, match="field 'nickname': unknown column"):
        seeded.accounts.insert_frame(pd.DataFrame({"nickname": ["x", "y"]}))
    assert written(database_url) == before


@pytest.mark.parametrize(
    "thing",
    [None, [{"email": "z@example.com"}], {"email": ["z@example.com"]}, pd.Series(["z@example.com"])],
    ids=["None", "list", "dict", "Series"],
)
@pytest.mark.parametrize("call", ["diff", "save", "insert_frame"])
def test_what_is_not_a_frame_is_said_to_be_no_frame(seeded, database_url, thing, call):
    before = written(database_url)
    with pytest.raises(
        ValidationFailed, match=f"expected a pandas or polars DataFrame, got {type(thing).__name__}"
    ):
        getattr(seeded.accounts, call)(thing)
    assert written(database_url) == before


def test_columns_of_several_levels_or_repeated_names_are_refused(seeded, database_url):
    df = seeded.accounts.frame()
    df["full_name"] = "Changed"
    before = written(database_url)
    levels = df.set_axis(pd.MultiIndex.from_tuples([(c, "") for c in df.columns]), axis=1)
    with pytest.raises(ValidationFailed, match="several levels"):
        seeded.accounts.save(levels)
    with pytest.raises(ValidationFailed, match="field 'full_name': is more than one column"):
        seeded.accounts.save(pd.concat([df, df[["full_name"]]], axis=1))
    assert written(database_url) == before


def test_ids_moved_into_the_index_are_not_taken_for_new_rows(seeded, database_url):
    df = seeded.accounts.frame()[["id", "email", "full_name", "country", "plan"]]
    df["full_name"] = "Changed"
    before = written(database_url)
    with pytest.raises(
        ValidationFailed, match="field 'id': is the frame's index, not a column: call reset_index"
    ):
        seeded.accounts.save(df.set_index("id"))
    assert written(database_url) == before


def test_a_plan_applied_to_another_table_is_refused_not_a_syntax_error(seeded, database_url):
    df = seeded.accounts.frame(id=1)
    df["full_name"] = "Elsewhere"
    plan = seeded.accounts.diff(df)
    before = written(database_url)
    with pytest.raises(ValidationFailed, match="this plan is one of account rows, from their diff"):
        seeded.transactions.apply(plan)
    assert written(database_url) == before


def test_a_signalling_decimal_nan_is_named_not_a_decimal_error(seeded, database_url):
    # pandas cannot even ask whether Decimal("sNaN") is missing: its isna raises InvalidOperation.
    before = written(database_url)
    frame = pd.DataFrame(
        {"account_id": [1, 2], "kind": "deposit", "amount": [Decimal("1.00"), Decimal("sNaN")]}
    )
    with pytest.raises(ValidationFailed, match=r"row 1, field 'amount': is required"):
        seeded.transactions.post_frame(frame)
    assert written(database_url) == before
