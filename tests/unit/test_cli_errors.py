"""A command that cannot reach its database says so in one line, password masked, and exits 2."""

from __future__ import annotations

import pytest

from toolkit.cli import main

UNREACHABLE = "postgresql://analyst:s3cret-pw@127.0.0.1:1/ledger"  # nothing listens on port 1


@pytest.mark.parametrize("command", [["db", "current"], ["db", "upgrade"], ["keys", "list"]])
def test_an_unreachable_database_is_one_clear_line_not_a_traceback(command, capsys):
    assert main(["--database-url", UNREACHABLE, *command]) == 2
    printed = capsys.readouterr()
    [line] = printed.err.strip().splitlines()
    assert line.startswith("error: the database at postgresql+psycopg://analyst:***@127.0.0.1:1/ledger")
    assert "is unreachable" in line and "Connection refused" in line
    assert "s3cret-pw" not in printed.err + printed.out
