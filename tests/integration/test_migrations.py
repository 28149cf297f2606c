from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL

from tests.conftest import libpq
from toolkit import migrations


@pytest.fixture
def empty_url(make_database) -> URL:
    return make_database("qa_empty")


def tables(url: URL) -> set[str]:
    with psycopg.connect(libpq(url)) as conn:
        rows = conn.execute("select tablename from pg_tables where schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def test_upgrade_downgrade_to_base_and_upgrade_again_on_an_empty_database(empty_url):
    assert migrations.current(url=empty_url) == []
    assert migrations.pending(url=empty_url) == [r.revision for r in migrations.history()]
    assert migrations.upgrade(url=empty_url) == migrations.heads()
    assert {"accounts", "transactions", "audit_log", "api_keys"} <= tables(empty_url)
    assert migrations.downgrade("base", url=empty_url) == []
    assert tables(empty_url) <= {"alembic_version"}
    migrations.upgrade(url=empty_url)
    assert migrations.check(url=empty_url) == []
    assert migrations.pending(url=empty_url) == []


def test_check_finds_no_drift_on_the_migrated_database(database_url):
    assert migrations.check(url=database_url) == []


def test_check_reports_drift(empty_url):
    migrations.upgrade(url=empty_url)
    with psycopg.connect(libpq(empty_url)) as conn:
        conn.execute("alter table accounts add column nickname text")
    drift = migrations.check(url=empty_url)
    assert any("nickname" in str(d) for d in drift)


def test_history_lists_date_prefixed_revisions_oldest_first():
    history = migrations.history()
    assert history[0].down_revision is None and history[-1].revision in migrations.heads()
    for rev in history:
        name = rev.path.rsplit("/", 1)[-1]
        assert name[:4].isdigit() and name[4] == "_", name


def cli(*args: str, url: URL) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "QUEACCOUNT_DATABASE_URL": url.render_as_string(hide_password=False)}
    return subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_upgrade_current_check_and_drift_exit_code(empty_url):
    up = cli("db", "upgrade", url=empty_url)
    assert up.returncode == 0, up.stderr
    assert "database at" in up.stdout
    assert "Running upgrade  -> 0001" in up.stderr and "Context impl" not in up.stderr  # progress, no chatter
    current = cli("db", "current", url=empty_url)
    assert current.returncode == 0 and "(head)" in current.stdout and current.stderr == ""
    assert cli("db", "check", url=empty_url).returncode == 0
    with psycopg.connect(libpq(empty_url)) as conn:
        conn.execute("alter table audit_log drop column actor")
    drift = cli("db", "check", url=empty_url)
    assert drift.returncode == 1 and "actor" in drift.stdout


def test_cli_help_explains_each_db_action(empty_url):
    for action in ("upgrade", "downgrade", "current", "history", "check", "revision", "diagram"):
        shown = cli("db", action, "--help", url=empty_url)
        assert shown.returncode == 0 and "usage: queaccount db " + action in shown.stdout


def test_plain_alembic_upgrade_head_works_from_the_repository_root(empty_url):
    root = Path(__file__).resolve().parents[2]
    env = {
        "PATH": "/usr/bin:/bin",
        "QUEACCOUNT_DATABASE_URL": empty_url.render_as_string(hide_password=False),
    }
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert migrations.current(url=empty_url) == migrations.heads()


def test_downgrade_expands_a_bulk_load_into_one_audit_row_per_id(empty_url):
    migrations.upgrade(url=empty_url)
    load = """insert into audit_log (actor, action, entity, entity_id, last_entity_id, changes)
              values ('alice', 'create', 'account', 10, 12, '{"rows": 3}'),
                     ('bob', 'update', 'account', 11, null, '{}')"""
    with psycopg.connect(libpq(empty_url)) as conn:
        conn.execute(load)
    migrations.downgrade("0002", url=empty_url)
    with psycopg.connect(libpq(empty_url)) as conn:
        rows = conn.execute(
            "select actor, action, entity_id, changes from audit_log order by entity_id, action"
        )
        assert rows.fetchall() == [
            ("alice", "create", 10, {"rows": 3}),
            ("alice", "create", 11, {"rows": 3}),
            ("bob", "update", 11, {}),
            ("alice", "create", 12, {"rows": 3}),
        ]
    migrations.upgrade(url=empty_url)
    assert migrations.check(url=empty_url) == []
