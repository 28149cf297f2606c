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


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("garbage", "error: not a database URL: expected postgresql://"),
        ("mysql://analyst:s3cret-pw@db/ledger", "error: not a PostgreSQL URL: mysql://analyst:***@db/ledger"),
    ],
)
def test_a_url_that_is_no_postgresql_url_is_one_line_password_masked(url, said, capsys):
    assert main(["--database-url", url, "db", "current"]) == 2
    printed = capsys.readouterr()
    assert printed.err.strip().splitlines() == [printed.err.strip()] and printed.err.startswith(said)
    assert "s3cret-pw" not in printed.err + printed.out


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--port", "99999"], "argument --port: 99999 is not from 0 to 65535"),
        (["--port", "-1"], "argument --port: -1 is not from 0 to 65535"),
        (["--workers", "0"], "argument --workers: 0 is not from 1 to 512"),
        (["--port", "http"], "argument --port: 'http' is not a whole number"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_or_worker_count_out_of_range_is_a_usage_error_not_a_traceback(command, option, said, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, *option])
    assert exited.value.code == 2
    assert said in capsys.readouterr().err


def test_a_diagram_for_a_readme_that_is_not_there_is_one_line(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "README.md"
    assert main(["db", "diagram", "--readme", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {missing}: No such file or directory"


@pytest.mark.parametrize(
    ("command", "explains"),
    [
        (["keys"], "Bearer"),
        (["keys", "create"], "only its hash is"),
        (["keys", "list"], "never their secrets"),
        (["keys", "revoke"], "refuses it at once"),
    ],
)
def test_keys_help_explains_what_each_action_does(command, explains, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert explains in shown
