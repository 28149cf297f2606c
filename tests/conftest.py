"""Fixtures: one real PostgreSQL per run (embedded, or QUEACCOUNT_TEST_DATABASE_URL); schema made once."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from toolkit.settings import Settings, normalise_url

TABLES = "accounts, transactions, audit_log, api_keys, transaction_slots, transaction_slot_deltas"


def libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_url() -> Iterator[URL]:
    """A PostgreSQL server's admin URL: QUEACCOUNT_TEST_DATABASE_URL, or an embedded one for this run.

    The embedded server's data lives outside pytest's temp tree: pytest re-tightens that tree's permissions
    (and prunes old runs) when another test run starts, which would pull it from under the server's own user.
    """
    configured = os.environ.get("QUEACCOUNT_TEST_DATABASE_URL")
    if configured:
        yield normalise_url(configured)
        return
    from toolkit import embedded

    home = Path(tempfile.mkdtemp(prefix="queaccount-test-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)  # runs after the server's own stop at exit
    yield embedded.start(home, database="postgres")


@pytest.fixture(scope="session")
def make_database(server_url: URL) -> Iterator[object]:
    """Create empty databases on the test server (dropped at the end of the run), with the toolkit's roles
    set up on each, as `queaccount db roles` does."""
    from toolkit import roles

    created: list[str] = []

    def make(prefix: str = "qa_test") -> URL:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(libpq(server_url), autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        created.append(name)
        url = server_url.set(database=name)
        roles.setup(url)
        return url

    yield make
    with psycopg.connect(libpq(server_url), autocommit=True) as conn:
        for name in created:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def database_url(make_database) -> URL:  # type: ignore[no-untyped-def]
    """The run's database, migrated to head once."""
    from toolkit import migrations

    url: URL = make_database()
    migrations.upgrade(url=url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: URL, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(database_url=database_url, home=Path(tmp_path_factory.mktemp("home")))


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> None:
    """Data isolation: tests that touch the database start from empty tables."""
    if "database_url" not in request.fixturenames:
        return
    url = request.getfixturevalue("database_url")
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        # The ledger and the audit log refuse TRUNCATE by trigger; as a superuser in replica mode the
        # triggers stay quiet, which no role of the toolkit's can do.
        conn.execute("set session_replication_role = replica")
        conn.execute(f"truncate {TABLES} restart identity cascade")


@pytest.fixture(scope="session")
async def container(settings: Settings) -> AsyncIterator[object]:
    from toolkit.wiring import create_container

    c = create_container(settings)
    yield c
    await c.close()


def admin_rows(url: URL, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query, read as the test server's admin (past every role's limits)."""
    with psycopg.connect(libpq(url)) as conn:
        return conn.execute(sql).fetchall()


def url_with_password(url: URL, password: str) -> URL:
    return make_url(url).set(password=password)


@pytest.fixture
def qa(database_url: URL) -> Iterator[Any]:
    """The notebook facade on the test database (progress bars off)."""
    import toolkit

    with toolkit.connect(database_url, actor="test:analyst", progress=False) as kit:
        yield kit
