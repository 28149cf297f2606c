"""A target revision this code cannot reach (a typo, a step past either end, a range) is named in one line
by every face, and the schema is left as it was."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from sqlalchemy.engine import URL

import toolkit
from tests.conftest import admin_rows
from toolkit import migrations
from toolkit.cli import main
from toolkit.errors import ValidationFailed

TARGETS = [
    ("upgrade", "nonexistent", "Can't locate revision identified by 'nonexistent'"),
    ("upgrade", "head:base", "Range revision not allowed"),
    ("downgrade", "+1", "Relative revision +1"),
    ("downgrade", "-99", "Relative revision -99"),
]


@pytest.fixture
def at_0005(make_database) -> URL:
    url: URL = make_database("qa_targets")
    migrations.upgrade("0005", url=url)
    return url


def schema(url: URL) -> list[tuple[object, ...]]:
    return admin_rows(url, "select version_num from alembic_version") + admin_rows(
        url, "select count(*) from pg_tables where schemaname = 'public'"
    )


@pytest.mark.parametrize(("action", "rev", "reason"), TARGETS)
def test_the_python_api_names_the_revision_and_changes_nothing(at_0005, action, rev, reason):
    before = schema(at_0005)
    with pytest.raises(ValidationFailed, match="field 'revision': ") as caught:
        getattr(migrations, action)(rev, url=at_0005)
    assert reason in str(caught.value) and "0001, 0002" in str(caught.value)
    assert schema(at_0005) == before


@pytest.mark.parametrize(("action", "rev", "reason"), TARGETS)
def test_the_cli_says_it_in_one_line_and_exits_2(at_0005, action, rev, reason, capsys):
    before = schema(at_0005)
    url = at_0005.render_as_string(hide_password=False)
    assert main(["--database-url", url, "db", action, rev]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and reason in line
    assert schema(at_0005) == before


def test_a_notebook_magic_shows_the_one_line_not_a_traceback(at_0005, capsys):
    before = schema(at_0005)
    with toolkit.connect(at_0005, progress=False):
        ip = InteractiveShell.instance()
        try:
            ip.run_line_magic("load_ext", "toolkit")
            capsys.readouterr()
            ip.run_cell("%qa_migrate upgrade nonexistent")
            shown = capsys.readouterr().out
        finally:
            InteractiveShell.clear_instance()
    [line] = shown.strip().splitlines()
    assert line.startswith("ValidationFailed: ") and "'nonexistent'" in line
    assert schema(at_0005) == before
