from __future__ import annotations

import re

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
