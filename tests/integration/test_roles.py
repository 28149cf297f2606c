"""Least privilege: each path connects as a role that holds only what it needs, proven by connecting as each
role and trying what it must not do."""

from __future__ import annotations

import dataclasses
import os

import psycopg
import pytest

from tests.conftest import libpq
from toolkit.roles import READER, WRITER, role_url
from toolkit.settings import Settings
from toolkit.wiring import create_container

NEITHER_ROLE_MAY = [
    "create table mine (id int)",
    "drop table accounts",
    "alter table accounts add column x int",
    "truncate transactions cascade",
    "create function f() returns int language sql as 'select 1'",
    "copy (select 1) to program 'touch /tmp/queaccount-pwned'",
    "copy accounts from '/etc/passwd'",
    "select pg_read_file('/etc/passwd')",
    "select pg_ls_dir('.')",
    "select pg_reload_conf()",
    "select lo_import('/etc/passwd')",
    "set session_replication_role = replica",
]


def connect(database_url, role: str) -> psycopg.Connection:
    return psycopg.connect(libpq(role_url(database_url, role)), autocommit=True)


@pytest.mark.parametrize("role", [WRITER, READER])
@pytest.mark.parametrize("statement", NEITHER_ROLE_MAY)
def test_neither_role_can_change_the_schema_or_reach_the_server(database_url, role, statement):
    with connect(database_url, role) as conn, pytest.raises(psycopg.Error) as caught:
        conn.execute(statement)
    assert caught.value.sqlstate in ("42501", "25006"), caught.value  # insufficient privilege, or read-only
    assert not os.path.exists("/tmp/queaccount-pwned")


@pytest.mark.parametrize("role", [WRITER, READER])
def test_neither_role_is_a_superuser_or_owns_a_table_or_can_signal_others(database_url, role):
    with connect(database_url, role) as conn, psycopg.connect(libpq(database_url)) as other:
        flags = conn.execute(
            "select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles"
            " where rolname = current_user"
        ).fetchone()
        assert flags == (False, False, False, False)
        owned = conn.execute("select count(*) from pg_tables where tableowner = current_user").fetchone()
        assert owned == (0,)
        for signal in ("pg_terminate_backend", "pg_cancel_backend"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select {signal}(%s)", (other.info.backend_pid,))
        assert other.execute("select 1").fetchone() == (1,)


def test_the_reader_reads_rows_and_nothing_else(database_url):
    with connect(database_url, READER) as conn:
        assert conn.execute("select count(*) from accounts").fetchone() == (0,)
        for statement in (
            "insert into accounts (email, full_name, country) values ('a@example.com', 'A', 'DE')",
            "update accounts set plan = 'pro'",
            "select * from api_keys",  # key hashes are the writer's business
            "create temporary table t (id int)",
            "select pg_notify('queaccount_api_keys', 'revoked')",
            # (The NOTIFY statement itself no privilege can refuse: qa.sql() never commits a read, so its
            # notifications are never delivered; see test_read_only_sql.py.)
        ):
            with pytest.raises(psycopg.Error) as caught:
                conn.execute(statement)
            assert caught.value.sqlstate in ("42501", "25006"), (statement, caught.value)


def test_the_writer_writes_rows_but_never_moves_a_balance_or_removes_history(database_url):
    with connect(database_url, WRITER) as conn:
        conn.execute("insert into accounts (email, full_name, country) values ('a@example.com', 'A', 'DE')")
        conn.execute("select pg_notify('queaccount_api_keys', 'revoked')")  # key revocations are announced
        for statement in (
            "update accounts set balance = 10",
            "delete from accounts",
            "delete from transactions",
            "update audit_log set actor = 'x'",
            "delete from api_keys",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


async def test_the_services_and_the_read_pool_connect_as_the_two_roles(settings):
    from toolkit.db import Database

    container = create_container(settings)
    try:
        db = await container.get(Database)
        async with db.engine.connect() as conn:
            assert (await conn.exec_driver_sql("select current_user")).scalar() == WRITER
        assert await db.read("select current_user", {}) == [(READER,)]
    finally:
        await container.close()


def test_configured_role_urls_are_used_as_given(database_url, tmp_path):
    from toolkit.db import role_urls

    write, read = role_urls(
        Settings.load(
            environ={
                "QUEACCOUNT_WRITE_DATABASE_URL": "postgresql://w:secret-w@db.example/qa",
                "QUEACCOUNT_READ_DATABASE_URL": "postgresql://r:secret-r@replica.example/qa",
            },
            env_file=None,
        )
    )
    assert (write.username, write.host, read.username, read.host) == (
        "w",
        "db.example",
        "r",
        "replica.example",
    )
    derived, _ = role_urls(Settings(database_url=database_url, home=tmp_path))
    assert (derived.username, derived.database) == (WRITER, database_url.database)


def test_serve_refuses_to_connect_as_a_superuser_or_owner(database_url, monkeypatch, capsys):
    from toolkit.cli import main

    owner = database_url.render_as_string(hide_password=False)
    monkeypatch.setenv("QUEACCOUNT_WRITE_DATABASE_URL", owner)
    assert main(["--database-url", owner, "serve", "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert "superuser or as the schema's owner" in error and "queaccount db roles" in error


@pytest.mark.parametrize("which", ["write_database_url", "read_database_url"])
def test_the_sidecar_app_any_asgi_server_builds_refuses_a_superuser_or_owner_too(
    settings, database_url, which
):
    """`sidecar.create_app()` is what `uvicorn --factory` or another ASGI server runs, without `serve`."""
    from sidecar import create_app
    from toolkit.errors import NotPermitted

    given = database_url if which == "write_database_url" else (database_url,)
    with pytest.raises(NotPermitted, match="superuser or as the schema's owner"):
        create_app(dataclasses.replace(settings, **{which: given}))


def test_db_roles_sets_the_roles_up_again_and_says_so(database_url, capsys):
    from toolkit.cli import main

    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute(f"revoke select on accounts from {READER}")
    assert main(["--database-url", database_url.render_as_string(hide_password=False), "db", "roles"]) == 0
    assert f"roles {WRITER} and {READER} are set up" in capsys.readouterr().out
    with connect(database_url, READER) as conn:
        assert conn.execute("select count(*) from accounts").fetchone() == (0,)


def test_grants_from_two_processes_at_once_take_turns(database_url):
    """A notebook's migration and another's start both re-grant the roles: concurrent GRANT/REVOKE on one
    table fail in PostgreSQL ('tuple concurrently updated'), so they must wait for one another."""
    import threading

    from sqlalchemy import create_engine, pool

    from toolkit.roles import grant_to_roles

    engine = create_engine(database_url, poolclass=pool.NullPool)
    errors: list[str] = []
    start = threading.Barrier(4)

    def grant_again() -> None:
        start.wait()
        for _ in range(10):
            try:
                with engine.begin() as connection:
                    grant_to_roles(connection)
            except Exception as error:  # what a user would see as a refused start
                errors.append(str(error).splitlines()[0])

    workers = [threading.Thread(target=grant_again) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    assert errors == []
