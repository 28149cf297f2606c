"""`qa.sql()` is read-only by enforcement, not by pattern: one statement, a READ ONLY transaction, the
reading role, and a connection that keeps nothing of the call."""

from __future__ import annotations

import contextlib

import psycopg
import pytest

from tests.conftest import admin_rows, libpq
from toolkit.errors import DatabaseError, NotPermitted, QueAccountError, ReadOnlyQuery, ValidationFailed


def plans(database_url) -> list[str]:
    return [r[0] for r in admin_rows(database_url, "select plan from accounts order by id")]


def audited(database_url) -> list[tuple]:
    return admin_rows(
        database_url, "select actor, action, entity, changes from audit_log where entity = 'sql'"
    )


@pytest.mark.parametrize(
    "statement",
    [
        # the finding: the first statement ends the READ ONLY transaction
        "commit; update accounts set plan = 'business'",
        "select 1; update accounts set plan = 'business'",
        "update accounts set plan = 'business'; select 1",
    ],
)
def test_a_list_of_statements_is_refused_and_nothing_is_written(seeded, database_url, statement):
    before = plans(database_url)
    with pytest.raises(ValidationFailed, match="one statement per call"):
        seeded.sql(statement)
    assert plans(database_url) == before
    assert audited(database_url) == []


@pytest.mark.parametrize(
    "statement",
    [
        "update accounts set plan = 'business'",
        "with moved as (update accounts set plan = 'business' returning id) select count(*) from moved",
        "insert into transactions (account_id, kind, amount) values (1, 'deposit', 5)",
        "select set_config('transaction_read_only', 'off', true)",
    ],
)
def test_a_write_without_write_true_is_refused_and_nothing_is_written(seeded, database_url, statement):
    before = plans(database_url)
    with pytest.raises((ReadOnlyQuery, NotPermitted, DatabaseError)):
        seeded.sql(statement)
    assert plans(database_url) == before
    assert seeded.sql("select count(*) as n from transactions")["n"].tolist() == [5]


def test_ending_the_transaction_is_refused(seeded, database_url):
    with pytest.raises(ValidationFailed, match="transaction of its own"):
        seeded.sql("commit")
    with pytest.raises(ValidationFailed, match="transaction of its own"):
        seeded.sql("rollback", write=True)
    assert audited(database_url) == []


def test_reads_run_as_the_reading_role_and_writes_as_the_writing_role(qa):
    assert qa.sql("select current_user as who")["who"].tolist() == ["queaccount_reader"]
    assert qa.sql("select current_user as who", write=True)["who"].tolist() == ["queaccount_writer"]
    assert qa.sql("select rolsuper from pg_roles where rolname = current_user")["rolsuper"].tolist() == [
        False
    ]


@pytest.mark.parametrize(
    ("leave", "look", "clean"),
    [
        (
            "select set_config('search_path', 'pg_catalog', false)",
            "select current_setting('search_path') as v",
            '"$user", public',
        ),
        (
            "select pg_advisory_lock(4242)::text",
            "select count(*)::text as v from pg_locks where locktype = 'advisory'",
            "0",
        ),
        ("listen queaccount_api_keys", "select count(*)::text as v from pg_listening_channels()", "0"),
        (
            "prepare mine as select 1",
            "select count(*)::text as v from pg_prepared_statements where name = 'mine'",
            "0",
        ),
        (
            "declare c cursor with hold for select 1",
            "select count(*)::text as v from pg_cursors where name = 'c'",
            "0",
        ),
        (
            "select set_config('statement_timeout', '1', false)",
            "select current_setting('statement_timeout') as v",
            "0",
        ),
    ],
)
def test_nothing_a_call_leaves_on_its_connection_reaches_the_next_call(qa, leave, look, clean):
    for write in (False, True):
        with contextlib.suppress(QueAccountError):  # refused is as good: what matters is what comes next
            qa.sql(leave, write=write)
        assert qa.sql(look)["v"].astype(str).tolist() == [clean]
        assert qa.sql(look, write=True)["v"].astype(str).tolist() == [clean]


def test_the_reading_role_cannot_reach_server_files_programs_or_other_backends(qa):
    other = psycopg.connect(libpq(qa.migrations.url))  # any other backend, the owner's
    try:
        pid = other.info.backend_pid
        for statement in (
            "copy (select 1) to program 'touch /tmp/queaccount-pwned'",
            "select pg_read_file('/etc/passwd')",
            "select pg_ls_dir('.')",
            f"select pg_terminate_backend({pid})",
            f"select pg_cancel_backend({pid})",
            "select pg_notify('queaccount_api_keys', 'revoked')",
            "select * from api_keys",
        ):
            with pytest.raises((NotPermitted, ReadOnlyQuery)):
                qa.sql(statement)
        assert other.execute("select 1").fetchone() == (1,)
    finally:
        other.close()


def test_a_missing_or_unknown_bind_parameter_is_named(qa):
    with pytest.raises(ValidationFailed) as caught:
        qa.sql("select * from accounts where country = :c and plan = :p", c="DE")
    assert [(i.field, i.reason) for i in caught.value.issues] == [("p", "the statement uses :p; pass p=...")]
    with pytest.raises(ValidationFailed) as caught:
        qa.sql("select 1 as one", c="DE")
    assert [i.field for i in caught.value.issues] == ["c"]


def test_an_error_in_the_statement_is_a_toolkit_error_with_the_database_reason(qa):
    with pytest.raises(DatabaseError, match=r'column "nope" does not exist.*42703'):
        qa.sql("select nope from accounts")
    assert qa.sql("select 1 as one")["one"].tolist() == [1]


def test_write_true_is_audited_with_its_statement_and_parameters(seeded, database_url):
    seeded.sql("update accounts set plan = :p where id = :id", write=True, p="business", id=2)
    assert plans(database_url)[1] == "business"
    [(actor, action, entity, changes)] = audited(database_url)
    assert (actor, action, entity) == ("test:analyst", "sql", "sql")
    assert changes["statement"]["new"] == "update accounts set plan = :p where id = :id"
    assert changes["parameters"]["new"] == {"p": "business", "id": 2}
    assert changes["rows"]["new"] == 1


def test_a_notification_sent_from_read_only_sql_never_reaches_a_listener(qa, database_url):
    with psycopg.connect(libpq(database_url), autocommit=True) as listener:
        listener.execute("listen queaccount_api_keys")
        qa.sql("notify queaccount_api_keys, 'revoked'")  # PostgreSQL allows NOTIFY in a READ ONLY transaction
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
        with psycopg.connect(libpq(database_url), autocommit=True) as sender:
            sender.execute("notify queaccount_api_keys, 'revoked'")
        assert [n.payload for n in listener.notifies(timeout=5, stop_after=1)] == ["revoked"]
