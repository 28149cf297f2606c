"""Arguments an analyst gets wrong in a notebook call: a toolkit error that names the argument and the
reason, before anything runs (never the driver's own exception, a database error about operators, or a call
that never returns)."""

from __future__ import annotations

import queue
import re
import threading
import warnings

import pandas as pd
import psycopg
import pytest
from sqlalchemy import func

import toolkit
from tests.conftest import admin_rows, libpq
from toolkit import migrations
from toolkit.errors import NotFound, Overdraft, Unreadable, ValidationFailed
from toolkit.models import TransactionModel


def audited(url):
    return admin_rows(url, "select count(*) from audit_log")[0][0]


@pytest.mark.parametrize(
    ("statement", "params", "field"),
    [
        ("select :x", {"x": "a\x00b"}, "x"),
        ("select :x", {"x": "\udcff"}, "x"),
        ("select * from accounts where email = any(:x)", {"x": ["a@example.com", "b\x00"]}, "x"),
        ("select 'a\x00b'", {}, "statement"),
        ("select '\udcff'", {}, "statement"),
    ],
    ids=["NUL", "surrogate", "NUL in a list", "NUL in the statement", "surrogate in the statement"],
)
@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_text_the_database_cannot_hold_is_named_before_the_sql_runs(
    seeded, database_url, statement, params, field, write
):
    before = audited(database_url)
    with pytest.raises(ValidationFailed, match=f"field '{field}': contains a character the database cannot"):
        seeded.sql(statement, write=write, **params)
    assert audited(database_url) == before


@pytest.mark.parametrize("chunk_rows", [0, -5, 2.5, "100"])
def test_iter_frames_refuses_chunks_that_would_never_end(seeded, chunk_rows):
    said: queue.Queue[BaseException | None] = queue.Queue()

    def read() -> None:
        try:
            next(iter(seeded.accounts.iter_frames(chunk_rows=chunk_rows)))
            said.put(None)
        except Exception as error:
            said.put(error)

    threading.Thread(target=read, daemon=True).start()  # a read that never ends must not hold up the run
    refused = said.get(timeout=30)
    assert isinstance(refused, ValidationFailed), refused
    assert "field 'chunk_rows': must be a whole number of at least 1" in str(refused)


def test_an_overdraft_through_sql_names_the_account_not_question_marks(seeded, database_url):
    before = admin_rows(database_url, "select balance from accounts where id = 2")
    with pytest.raises(Overdraft) as caught:
        seeded.sql(
            "insert into transactions (account_id, kind, amount) values (2, 'withdrawal', -99999)", write=True
        )
    said = str(caught.value)
    assert "account 2 would take its balance below zero" in said and "?" not in said
    assert caught.value.account_id == 2
    assert admin_rows(database_url, "select balance from accounts where id = 2") == before


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.get("abc"),
        lambda t: t.update("3", plan="pro"),
        lambda t: t.close(1.5),
        lambda t: t.get(None),
    ],
    ids=["get text", "update text", "close float", "get None"],
)
def test_an_id_that_is_no_whole_number_is_named(seeded, database_url, call):
    before = audited(database_url)
    with pytest.raises(ValidationFailed, match="field 'id': expected a whole number"):
        call(seeded.accounts)
    assert audited(database_url) == before


def test_an_id_beyond_bigint_is_no_such_row(seeded):
    with pytest.raises(NotFound, match=f"account {2**70} does not exist"):
        seeded.accounts.get(2**70)
    with pytest.raises(NotFound):
        seeded.accounts.update(2**70, plan="pro")


@pytest.fixture(scope="module")
def infinite_url(make_database):
    """A ledger that took an 'infinity' before migration 0008 (PostgreSQL takes it for a timestamptz, here
    from a plain connection as the writer), then migrated to head: 0008 says which row and leaves it."""
    url = make_database("qa_infinite_time")
    migrations.upgrade("0007", url=url)
    with toolkit.connect(url, actor="test", progress=False) as qa, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "behind head by 1 migration": on purpose
        account = qa.accounts.create(email="inf@example.com", full_name="Inf", country="DE")
        for _ in range(5):
            qa.transactions.post(account.id, "deposit", "1.00")
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("set role queaccount_writer")
        conn.execute(
            "insert into transactions (account_id, kind, amount, occurred_at)"
            " values (%s, 'deposit', 1, 'infinity')",
            (account.id,),
        )
    with pytest.warns(
        UserWarning, match=r"transactions.occurred_at of rows 6 lies outside the years 1 to 9999"
    ):
        migrations.upgrade(url=url)
    return url


@pytest.mark.parametrize("kind", ["pandas", "arrow", "chunks"])
def test_a_stored_infinite_time_is_named_by_column_and_the_other_rows_stay_readable(infinite_url, kind):
    with toolkit.connect(infinite_url, actor="test", progress=False) as qa:
        read = {
            "pandas": lambda *c: qa.transactions.frame(*c),
            "arrow": lambda *c: qa.transactions.frame(*c, as_arrow=True),
            "chunks": lambda *c: pd.concat(qa.transactions.iter_frames(*c, chunk_rows=2)),
        }[kind]
        with pytest.raises(
            Unreadable, match="column 'occurred_at' holds 'infinity', which a frame cannot hold"
        ):
            read()
        assert len(read(func.isfinite(TransactionModel.occurred_at))) == 5


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_a_like_pattern_with_percent_signs_runs_as_written(seeded, write):
    found = seeded.sql(
        "select count(*) as n from accounts where email like '%@example.com' and country = :c",
        c="DE",
        write=write,
    )
    assert found["n"].tolist() == [2]


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_a_copy_to_the_client_says_what_to_use_instead(seeded, database_url, write):
    before = audited(database_url)
    with pytest.raises(
        ValidationFailed, match=r"qa.sql\(\) does not run COPY: read a table with qa.<table>.frame"
    ):
        seeded.sql("copy accounts to stdout", write=write)
    assert audited(database_url) == before
    assert len(seeded.sql("select 1 as one")) == 1  # and the next call works


@pytest.mark.parametrize(
    ("filters", "said"),
    [
        ({"id": "abc"}, "field 'id': expected a whole number, got 'abc'"),
        ({"id": [1, "x"]}, "field 'id': expected a whole number, got 'x'"),
        ({"id": 2**70}, f"field 'id': {2**70} is out of range for the column"),
        ({"email": "a\x00b"}, "field 'email': contains a character the database cannot store"),
        ({"country": 5}, "field 'country': expected text, got 5"),
        ({"status": "bogus"}, "field 'status': must be one of active, suspended, closed, got 'bogus'"),
    ],
    ids=["text for an id", "in a list", "beyond bigint", "NUL", "a number for text", "no such status"],
)
def test_a_filter_of_the_wrong_kind_is_named_before_any_sql_runs(seeded, filters, said):
    with pytest.raises(ValidationFailed, match=re.escape(said)):
        seeded.accounts.frame(**filters)


def test_a_filter_given_as_text_of_a_number_still_finds_its_rows(seeded):
    assert seeded.accounts.frame(id="2")["id"].tolist() == [2]
    assert seeded.accounts.frame(id=["1", 3], status="active")["id"].tolist() == [1, 3]
    assert seeded.accounts.frame(id=2**40).empty  # a bigint beyond int32 is a row that may exist
