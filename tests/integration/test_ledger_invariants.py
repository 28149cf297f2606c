"""The database holds the ledger's rules on every path: through `qa.sql(write=True)`, through a plain psycopg
connection as the writing role, and (for append-only) even as the schema's owner."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pandas as pd
import psycopg
import pytest

from tests.conftest import admin_rows, libpq
from toolkit.errors import AccountClosed, NotPermitted, Overdraft, ReopenRefused, ValidationFailed
from toolkit.roles import WRITER, role_url


def writer(database_url) -> psycopg.Connection:
    return psycopg.connect(libpq(role_url(database_url, WRITER)), autocommit=True)


def out_of_balance(database_url) -> list[tuple]:
    return admin_rows(
        database_url,
        "select a.id, a.balance, coalesce(sum(t.amount), 0) from accounts a"
        " left join transactions t on t.account_id = a.id"
        " group by a.id having a.balance <> coalesce(sum(t.amount), 0)",
    )


def counts(database_url) -> tuple:
    return admin_rows(
        database_url, "select (select count(*) from transactions), (select count(*) from audit_log)"
    )[0]


@pytest.mark.parametrize(
    "statement",
    [
        "update accounts set balance = balance + 1000 where id = 1",
        "update accounts set balance = 0",
        "insert into accounts (email, full_name, country, balance)"
        " values ('rich@example.com', 'R', 'DE', 1e6)",
    ],
)
def test_a_balance_cannot_be_written_except_by_posting(seeded, database_url, statement):
    with pytest.raises(NotPermitted, match="permission denied"):
        seeded.sql(statement, write=True)
    with writer(database_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)
    assert out_of_balance(database_url) == []


def test_every_posting_path_keeps_each_balance_equal_to_its_ledger(seeded, database_url):
    rng = random.Random(7)
    for _ in range(20):
        account, amount = rng.randint(1, 5), Decimal(rng.randint(1, 5000)) / 100
        seeded.sql(
            "insert into transactions (account_id, kind, amount) values (:a, 'deposit', :x)",
            write=True,
            a=account,
            x=amount,
        )
        seeded.transactions.post(rng.randint(1, 5), "fee", -Decimal("0.01"))
    with writer(database_url) as conn:
        conn.execute(
            "insert into transactions (account_id, kind, amount) select 1 + i % 5, 'refund', 1.5"
            " from generate_series(1, 50) i"
        )
    assert out_of_balance(database_url) == []
    version = seeded.accounts.get(3).version
    seeded.sql("insert into transactions (account_id, kind, amount) values (3, 'deposit', 1)", write=True)
    assert seeded.accounts.get(3).version == version + 1  # a frame read before it is now a conflict


def test_an_overdraft_written_past_the_service_is_refused(seeded, database_url):
    before = counts(database_url)
    with pytest.raises(Overdraft):
        seeded.sql(
            "insert into transactions (account_id, kind, amount) values (1, 'withdrawal', -1e6)", write=True
        )
    with writer(database_url) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("insert into transactions (account_id, kind, amount) values (1, 'withdrawal', -1e6)")
    assert counts(database_url) == before and out_of_balance(database_url) == []


def test_nothing_can_be_posted_to_a_closed_account_on_any_path(seeded, database_url):
    seeded.accounts.close(2)
    before = counts(database_url)
    with pytest.raises(AccountClosed, match="account 2 is closed"):
        seeded.sql("insert into transactions (account_id, kind, amount) values (2, 'deposit', 5)", write=True)
    with (
        writer(database_url) as conn,
        pytest.raises(psycopg.errors.CheckViolation, match="account 2 is closed"),
    ):
        conn.execute(
            "insert into transactions (account_id, kind, amount) values (1, 'deposit', 5), (2, 'deposit', 5)"
        )
    assert counts(database_url) == before


def test_a_closed_account_cannot_be_reopened_on_any_path(seeded, database_url):
    seeded.accounts.close(2)
    with pytest.raises(ReopenRefused):
        seeded.sql("update accounts set status = 'active' where id = 2", write=True)
    with writer(database_url) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("update accounts set status = 'suspended' where id = 2")
    assert seeded.accounts.get(2).status == "closed"


def test_a_funded_accounts_currency_cannot_change_on_any_path(seeded, database_url):
    # Account 1 holds 100.25 EUR: as USD it would silently hold 100.25 dollars.
    before = counts(database_url)
    with pytest.raises(ValidationFailed, match="field 'currency': account 1 holds money"):
        seeded.sql("update accounts set currency = 'USD' where id = 1", write=True)
    with writer(database_url) as conn, pytest.raises(psycopg.errors.CheckViolation, match="account 1 holds"):
        conn.execute("update accounts set currency = 'USD' where id in (1, 2)")
    with pytest.raises(ValidationFailed, match="field 'currency': account 1 holds money") as caught:
        seeded.accounts.update(1, version=seeded.accounts.get(1).version, currency="USD")
    assert "row" not in str(caught.value)
    frame = seeded.accounts.frame(order_by="id")
    frame.loc[[0, 2], "currency"] = "GBP"
    frame.loc[1, "full_name"] = "Bo Renamed"
    with pytest.raises(ValidationFailed) as caught:
        seeded.accounts.diff(frame).apply()
    said = str(caught.value)
    assert "row 0, field 'currency': account 1 holds money" in said
    assert "row 2, field 'currency': account 3 holds money" in said and "row 1" not in said
    assert admin_rows(database_url, "select distinct currency from accounts") == [("EUR",)]
    assert seeded.accounts.get(2).full_name == "Bo" and counts(database_url) == before
    # At a balance of 0 the currency may still change (a new account's typo), on every path.
    fresh = seeded.accounts.create(email="fresh@example.com", full_name="F", country="US")
    seeded.sql("update accounts set currency = 'USD' where id = :id", write=True, id=fresh.id)
    assert seeded.accounts.get(fresh.id).currency == "USD"


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "infinity", "-infinity"]
)
def test_a_posting_time_no_reader_could_hold_is_refused_on_every_path(seeded, database_url, when):
    # In UTC the first two are the year 0 and the year 10000: PostgreSQL would store them, and the
    # append-only ledger would then hold a row that every read meeting it fails on.
    before = counts(database_url)
    outside = "field 'occurred_at': must fall within the years 1 to 9999 (UTC)"
    if not when.endswith("infinity"):  # a Python caller cannot even say infinity
        with pytest.raises(ValidationFailed, match=re.escape(outside)):
            seeded.transactions.post(1, "deposit", "1.00", occurred_at=when)
        frame = pd.DataFrame(
            {
                "account_id": [1, 2],
                "kind": "deposit",
                "amount": ["1.00", "2.00"],
                "occurred_at": ["2025-01-01T00:00:00+00:00", when],
            }
        )
        with pytest.raises(ValidationFailed, match=re.escape(f"row 1, {outside}")):
            seeded.transactions.post_frame(frame)
    with pytest.raises(ValidationFailed, match=re.escape(outside)):
        seeded.sql(
            "insert into transactions (account_id, kind, amount, occurred_at)"
            " values (1, 'deposit', 1, cast(:w as timestamptz))",
            write=True,
            w=when,
        )
    with writer(database_url) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "insert into transactions (account_id, kind, amount, occurred_at) values (1, 'deposit', 1, %s)",
            (when,),
        )
    assert counts(database_url) == before
    assert len(seeded.transactions.frame()) == before[0]  # and every posting still reads


def test_no_time_a_reader_could_not_hold_is_taken_in_any_table(seeded, database_url):
    with pytest.raises(ValidationFailed, match=re.escape("field 'updated_at': must fall within the years 1")):
        seeded.sql(
            "update accounts set version = version + 1, updated_at = 'infinity' where id = 1", write=True
        )
    with writer(database_url) as conn:
        for statement in (
            "update accounts set version = version + 1, updated_at = '10000-01-01' where id = 1",
            "update accounts set version = version + 1, updated_at = '-infinity' where id = 2",
            "insert into accounts (email, full_name, country, created_at)"
            " values ('i@example.com', 'I', 'DE', 'infinity')",
            "insert into audit_log (actor, action, entity, entity_id, at)"
            " values ('x', 'update', 'account', 1, 'infinity')",
        ):
            with pytest.raises(psycopg.errors.CheckViolation, match="_readable"):
                conn.execute(statement)
    assert len(seeded.accounts.frame()) == 5 and len(seeded.audit.frame()) > 0


@pytest.mark.parametrize(
    "statement",
    [
        "delete from transactions",
        "update transactions set amount = amount * 2",
        "truncate transactions cascade",
        "delete from audit_log",
        "update audit_log set actor = 'nobody'",
        "truncate audit_log",
    ],
)
def test_the_ledger_and_the_audit_log_are_append_only_on_every_path(seeded, database_url, statement):
    before = counts(database_url)
    with pytest.raises(NotPermitted):
        seeded.sql(statement, write=True)
    with writer(database_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)
    # Even the schema's owner (a superuser here) meets the triggers.
    with (
        psycopg.connect(libpq(database_url), autocommit=True) as owner,
        pytest.raises(psycopg.errors.RestrictViolation, match="append-only"),
    ):
        owner.execute(statement)
    assert counts(database_url) == before
