from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import admin_rows
from toolkit.cli import main


def test_keys_create_prints_the_secret_once_list_never_shows_it_and_revoke_works(database_url, capsys):
    url = database_url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "keys", "create", "--name", "grafana", "--scope", "read"]) == 0
    created = capsys.readouterr().out
    secret = re.search(r"qa_\S+", created).group(0)

    assert main(["--database-url", url, "keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "grafana" in listed and "read" in listed and "active" in listed and secret not in listed

    assert main(["--database-url", url, "keys", "revoke", "grafana"]) == 0
    capsys.readouterr()
    assert main(["--database-url", url, "keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["--database-url", url, "keys", "revoke", "grafana"]) == 2
    assert "active API key 'grafana' does not exist" in capsys.readouterr().err


def test_a_second_active_key_with_the_same_name_is_refused_in_one_line(database_url, capsys):
    url = database_url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "keys", "create", "--name", "grafana"]) == 0
    capsys.readouterr()
    assert main(["--database-url", url, "keys", "create", "--name", "grafana"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == "error: an active API key named 'grafana' already exists"


def keys_table(url: str, capsys) -> list[dict[str, str]]:
    """`keys list` read as a person reads it: a header naming the columns, the cells lined up under it."""
    assert main(["--database-url", url, "keys", "list"]) == 0
    header, *lines = capsys.readouterr().out.rstrip("\n").splitlines()
    names = re.findall(r"\S+(?: \(UTC\))?", header)
    assert names == ["ID", "NAME", "SCOPE", "CREATED (UTC)", "EXPIRES (UTC)", "STATE"]
    starts = [header.index(name) for name in names]
    rows = []
    for line in lines:
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        assert all(line[start - 2 : start] == "  " for start in starts[1:]), line  # aligned under the header
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


def test_keys_list_is_a_table_with_a_header_and_a_state_for_each_key(database_url, capsys):
    url = database_url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "keys", "list"]) == 0
    assert "no API keys yet" in capsys.readouterr().out
    for name, scope in (("grafana-dashboards", "read"), ("etl", "write")):
        assert main(["--database-url", url, "keys", "create", "--name", name, "--scope", scope]) == 0
    assert main(["--database-url", url, "keys", "revoke", "etl"]) == 0
    secrets = re.findall(r"qa_\S+", capsys.readouterr().out)
    rows = keys_table(url, capsys)
    assert [(r["ID"], r["NAME"], r["SCOPE"], r["EXPIRES (UTC)"]) for r in rows] == [
        ("1", "grafana-dashboards", "read", "never"),
        ("2", "etl", "write", "never"),
    ]
    assert rows[0]["STATE"] == "active" and rows[1]["STATE"].startswith("revoked 20")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[0]["CREATED (UTC)"])
    assert len(secrets) == 2 and not any(s in str(rows) for s in secrets)


@pytest.mark.parametrize(
    ("expires", "lifetime"),
    [("30m", timedelta(minutes=30)), ("8h", timedelta(hours=8)), ("7d", timedelta(days=7))],
)
def test_keys_create_expires_after_a_lifetime(database_url, capsys, expires, lifetime):
    url = database_url.render_as_string(hide_password=False)
    before = datetime.now(UTC)
    assert main(["--database-url", url, "keys", "create", "--name", "shift", "--expires", expires]) == 0
    shown = re.search(r"\(expires (\S+ \S+) UTC\)", capsys.readouterr().out)
    [(stored,)] = admin_rows(database_url, "select expires_at from api_keys")
    assert before + lifetime <= stored <= datetime.now(UTC) + lifetime
    assert shown is not None and shown[1] == f"{stored.astimezone(UTC):%Y-%m-%d %H:%M}"
    [row] = keys_table(url, capsys)
    assert row["EXPIRES (UTC)"] == shown[1] and row["STATE"] == "active"


def test_keys_create_expires_at_an_iso_time_and_refuses_a_past_or_unreadable_one(database_url, capsys):
    url = database_url.render_as_string(hide_password=False)
    create = ["--database-url", url, "keys", "create", "--name", "audit"]
    assert main([*create, "--expires", "2030-01-31T18:00+01:00"]) == 0
    assert "(expires 2030-01-31 17:00 UTC)" in capsys.readouterr().out
    assert main([*create[:-1], "audit-2", "--expires", "2030-01-31 18:00"]) == 0  # no offset: UTC
    assert "(expires 2030-01-31 18:00 UTC)" in capsys.readouterr().out
    for refused, reason in (
        ("2020-01-01", "must be in the future: 2020-01-01T00:00:00+00:00 has passed"),
        ("8 hours", "'8 hours' is not a lifetime (30m, 8h, 7d, 2w) or an ISO 8601 time"),
        ("0m", "must be in the future"),
    ):
        assert main([*create[:-1], "refused", "--expires", refused]) == 2
        error = capsys.readouterr().err
        assert "field 'expires'" in error and reason in error and "nothing was written" in error, error
    assert len(admin_rows(database_url, "select id from api_keys")) == 2


def test_an_expired_key_is_listed_as_expired_and_its_name_can_be_used_again(database_url, capsys):
    url = database_url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "keys", "create", "--name", "grafana", "--expires", "1h"]) == 0
    moved = "update api_keys set expires_at = now() - interval '1 minute' returning id"
    assert len(admin_rows(database_url, moved)) == 1  # as the owner: the hour has passed
    capsys.readouterr()
    [row] = keys_table(url, capsys)
    assert row["STATE"] == "expired"
    assert main(["--database-url", url, "keys", "create", "--name", "grafana"]) == 0
    capsys.readouterr()
    old, new = keys_table(url, capsys)
    assert old["STATE"].startswith("revoked") and (new["NAME"], new["STATE"]) == ("grafana", "active")


def test_keys_create_help_explains_the_forms_of_expires(capsys):
    with pytest.raises(SystemExit):
        main(["keys", "create", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "--expires WHEN" in text and "30m, 8h, 7d" in text and "ISO 8601" in text and "never expires" in text
    )
