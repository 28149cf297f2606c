"""A database migrated by a newer checkout: every face says so in one line, and changes nothing."""

from __future__ import annotations

import psycopg
import pytest
from IPython.core.interactiveshell import InteractiveShell
from sqlalchemy.engine import URL

import toolkit
from tests.conftest import admin_rows, libpq
from tests.integration.test_migrations import cli
from toolkit import migrations
from toolkit.errors import UnknownRevision

NEWER = "ffffffffffff"


@pytest.fixture
def ahead_url(make_database) -> URL:
    """Upgraded to head, then stamped with a revision only a newer checkout has a file for."""
    url: URL = make_database("qa_ahead")
    migrations.upgrade(url=url)
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("update alembic_version set version_num = %s", (NEWER,))
    return url


def one_line_naming_the_newer_revision(text: str) -> str:
    [line] = text.strip().splitlines()
    assert f"revision {NEWER}, which this code does not know" in line
    assert "the code is older than the database" in line
    return line


@pytest.mark.parametrize("action", [["current"], ["upgrade"], ["downgrade", "-1"]])
def test_the_cli_says_in_one_line_that_the_code_is_older_and_exits_non_zero(ahead_url, action):
    done = cli("db", *action, url=ahead_url)
    assert done.returncode != 0 and done.stdout == ""
    assert one_line_naming_the_newer_revision(done.stderr).startswith("error: the database is at")
    assert admin_rows(ahead_url, "select version_num from alembic_version") == [(NEWER,)]


def test_the_python_api_refuses_with_the_revision_instead_of_listing_everything_as_pending(ahead_url):
    calls = {
        "current": lambda: migrations.current(url=ahead_url),
        "pending": lambda: migrations.pending(url=ahead_url),
        "upgrade": lambda: migrations.upgrade(url=ahead_url),
        "downgrade": lambda: migrations.downgrade("-1", url=ahead_url),
    }
    for name, call in calls.items():
        with pytest.raises(UnknownRevision) as caught:
            call()
        assert caught.value.revisions == [NEWER], name
        one_line_naming_the_newer_revision(str(caught.value))
    assert migrations.check(url=ahead_url) == []  # the schema itself was left alone


def test_qa_migrations_status_current_and_upgrade_give_the_one_line(ahead_url):
    with toolkit.connect(ahead_url, progress=False) as qa:
        for call in (qa.migrations.status, qa.migrations.current, qa.migrations.upgrade):
            with pytest.raises(UnknownRevision) as caught:
                call()
            one_line_naming_the_newer_revision(str(caught.value))


def test_a_notebook_cell_shows_the_one_line_not_a_traceback(ahead_url, capsys):
    with toolkit.connect(ahead_url, progress=False) as qa:
        ip = InteractiveShell.instance()
        try:
            ip.run_line_magic("load_ext", "toolkit")
            ip.user_ns["qa"] = qa
            capsys.readouterr()
            ip.run_cell("qa.migrations.status()")
            shown = capsys.readouterr().out
        finally:
            InteractiveShell.clear_instance()
    assert one_line_naming_the_newer_revision(shown).startswith("UnknownRevision: ")


def test_a_write_warns_in_one_line_and_still_writes(ahead_url):
    with toolkit.connect(ahead_url, actor="test:ahead", progress=False) as qa:
        with pytest.warns(UserWarning, match=NEWER) as warned:
            account = qa.accounts.create(email="ahead@example.com", full_name="A Head", country="DE")
        [message] = [str(w.message) for w in warned if NEWER in str(w.message)]
        one_line_naming_the_newer_revision(message)
        assert "behind head" not in message
        assert qa.accounts.get(account.id).email == "ahead@example.com"
