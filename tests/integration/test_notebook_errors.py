"""A notebook user sees toolkit errors only: never a driver's or SQLAlchemy's exception, and "unreachable"
only when the database cannot be reached."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pandas as pd
import psycopg
import pytest

import toolkit
from tests.conftest import libpq
from toolkit.errors import DatabaseBusy, DatabaseError, DatabaseUnavailable, ValidationFailed
from toolkit.models import AccountModel
from toolkit.settings import Settings


@pytest.fixture
def limited_role(database_url):
    """A role that may hold one connection at a time (superusers are never limited)."""
    name = f"qa_busy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute(f"create role {name} login password 's3cret-pw' connection limit 1")
        conn.execute(f"grant select on all tables in schema public to {name}")
    yield database_url.set(username=name, password="s3cret-pw")
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute(f"select pg_terminate_backend(pid) from pg_stat_activity where usename = '{name}'")
        conn.execute(f"drop owned by {name}")
        conn.execute(f"drop role {name}")


def test_a_full_server_is_reported_busy_not_unreachable_and_the_same_qa_works_after(limited_role):
    # The limited role stands in for the writing role, which notebook frames connect as.
    settings = Settings.load(env_file=None, write_database_url=limited_role, read_database_url=limited_role)
    with toolkit.connect(settings=settings, actor="t", progress=False) as qa:
        holder = psycopg.connect(libpq(limited_role))  # takes the one slot
        try:
            with pytest.raises(DatabaseBusy) as caught:
                qa.accounts.frame()
        finally:
            holder.close()
        said = str(caught.value)
        assert isinstance(caught.value, DatabaseUnavailable)
        assert "busy" in said and "too many connections" in said and "unreachable" not in said
        assert "SQLSTATE 53300" in said and "s3cret-pw" not in said
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
        assert len(qa.accounts.frame()) == 0  # a free slot: the same object simply works


def posted(qa):
    return len(qa.transactions.frame()), qa.accounts.frame()["balance"].tolist()


@pytest.mark.parametrize(
    "amount",
    [1e20, Decimal("1E+30"), "1e20", 10**15, Decimal("1234567890123.45")],
    ids=["float", "Decimal", "text", "int", "Decimal 13 digits"],
)
def test_an_amount_too_large_for_the_ledger_is_named_by_row_and_column(seeded, amount):
    before = posted(seeded)
    frame = pd.DataFrame({"account_id": [1, 2], "kind": ["deposit", "deposit"], "amount": ["1.00", amount]})
    with pytest.raises(ValidationFailed) as caught:
        seeded.transactions.post_frame(frame)
    assert [(i.row, i.field) for i in caught.value.issues] == [(1, "amount")]
    assert "out of range" in caught.value.issues[0].reason
    assert posted(seeded) == before


@pytest.mark.parametrize(
    "amount", ["\u0661\u0662\u0663", "\uff11\uff12", "1_0"], ids=["arabic", "fullwidth", "underscore"]
)
def test_an_amount_not_in_ascii_digits_is_refused_as_over_http(seeded, amount):
    before = posted(seeded)
    with pytest.raises(ValidationFailed) as caught:
        seeded.transactions.post(1, "deposit", amount)
    assert [(i.field, i.reason) for i in caught.value.issues] == [
        ("amount", f"{amount!r} is not a number in ASCII digits")
    ]
    assert posted(seeded) == before


@pytest.mark.parametrize("amount", ["1e-999999999", Decimal("1E-999999999"), "1e+999999999", "5E999"])
def test_an_amount_with_a_huge_exponent_is_refused_on_both_paths_not_a_crash(seeded, amount):
    # pyarrow 26 ends the whole process when it casts '1e-999999999' to a decimal: the kernel would die.
    before = posted(seeded)
    with pytest.raises(ValidationFailed) as caught:
        seeded.transactions.post(1, "deposit", amount)
    assert [i.field for i in caught.value.issues] == ["amount"]
    frame = pd.DataFrame({"account_id": [1, 2], "kind": ["deposit", "deposit"], "amount": ["1.00", amount]})
    with pytest.raises(ValidationFailed) as caught:
        seeded.transactions.post_frame(frame)
    assert [(i.row, i.field) for i in caught.value.issues] == [(1, "amount")]
    assert posted(seeded) == before


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("account_id", 2**70, "out of range"),
        ("account_id", 1e19, "out of range"),
        ("account_id", "one", "whole number"),
        ("occurred_at", "yesterday-ish", "timestamp"),
        ("occurred_at", "10000-01-01", "timestamp"),
        ("description", b"bytes", "expected text"),
        ("description", ["a", "list"], "expected text"),
        ("kind", 7, "must be one of"),
        ("amount", True, "not a number"),
    ],
)
def test_a_value_its_column_cannot_hold_is_named_before_anything_is_posted(seeded, column, value, reason):
    before = posted(seeded)
    row = {"account_id": 1, "kind": "deposit", "amount": "5.00", "description": "ok", column: value}
    frame = pd.DataFrame([{"account_id": 2, "kind": "deposit", "amount": "1.00"}, row], dtype=object)
    with pytest.raises(ValidationFailed) as caught:
        seeded.transactions.post_frame(frame)
    assert [(i.row, i.field) for i in caught.value.issues] == [(1, column)], caught.value.issues
    assert reason in caught.value.issues[0].reason
    assert posted(seeded) == before


@pytest.mark.parametrize(
    ("column", "value"),
    [("full_name", "Ada\x00"), ("full_name", "Ada\ud800"), ("email", "a\x00@example.com")],
)
def test_text_the_database_cannot_store_is_named_by_row_and_column_in_insert_frame(qa, column, value):
    rows = [{"email": f"u{i}@example.com", "full_name": "U", "country": "DE"} for i in range(3)]
    rows[2][column] = value
    with pytest.raises(ValidationFailed) as caught:
        qa.accounts.insert_frame(pd.DataFrame(rows, dtype=object))
    assert [(i.row, i.field) for i in caught.value.issues] == [(2, column)]
    assert "cannot store" in caught.value.issues[0].reason
    assert len(qa.accounts.frame()) == 0 and len(qa.audit.frame()) == 0


def test_a_condition_the_database_refuses_is_a_toolkit_error_with_its_message_and_sqlstate(seeded):
    with pytest.raises(DatabaseError) as caught:
        seeded.accounts.frame(AccountModel.balance / 0 > 1)
    said = str(caught.value)
    assert "division by zero" in said and "SQLSTATE 22012" in said and caught.value.sqlstate == "22012"
    assert "unreachable" not in said and "Background on this error" not in said
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_database_without_the_schema_says_so_and_how_to_fix_it(make_database):
    expected = r"accounts.*does not exist.*qa\.migrations\.upgrade\(\)"
    with (
        toolkit.connect(make_database(), actor="t", progress=False) as qa,
        pytest.raises(DatabaseError, match=expected),
    ):
        qa.accounts.frame()
