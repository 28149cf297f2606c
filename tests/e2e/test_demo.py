"""`queaccount demo` as a new user meets it: the printed curl line works the moment it is printed, its key
does not outlive the demo, and a busy port is refused at once with a message saying what to do."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from typing import IO, Any

import httpx
import pytest

from tests.conftest import admin_rows
from tests.e2e.test_serve import free_port

DASHBOARD = re.compile(r"Live dashboard at (?P<url>http://\S+/dashboard) ")
CURL = re.compile(r"curl -H 'Authorization: Bearer (?P<secret>[^']+)' '(?P<url>[^']+)'")


def start_demo(url: str, output: IO[str]) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """A `queaccount demo` process on a free port, once it has printed its curl line (and that line)."""
    command = [sys.executable, "-m", "toolkit.cli", "--database-url", url, "demo", "--port", str(free_port())]
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
    deadline, printed = time.monotonic() + 120, None
    while printed is None and time.monotonic() < deadline and process.poll() is None:
        output.seek(0)
        printed = CURL.search(output.read())
        time.sleep(0.02)
    if printed is None:
        process.kill()
        process.wait(timeout=30)
        output.seek(0)
        raise AssertionError(f"the demo never printed its curl line:\n{output.read()}")
    return process, printed


def test_the_printed_curl_line_answers_as_soon_as_it_is_printed(make_database):
    url = make_database("qa_demo").render_as_string(hide_password=False)
    with tempfile.TemporaryFile("w+") as output:
        process, printed = start_demo(url, output)
        try:
            # No retry: the line is printed only once the port answers.
            answer = httpx.get(printed["url"], headers={"Authorization": f"Bearer {printed['secret']}"})
            output.seek(0)
            dashboard = DASHBOARD.search(output.read())
            assert dashboard is not None, "the demo never printed the dashboard's address"
            page = httpx.get(dashboard["url"])
            assert page.status_code == 200 and "<title>QueAccount dashboard</title>" in page.text
            assert answer.status_code == 200
            accounts = answer.json()
            assert 0 < len(accounts) <= 5 and {a["plan"] for a in accounts} == {"pro"}
            balances = [float(a["balance"]) for a in accounts]
            assert balances == sorted(balances, reverse=True)
        finally:
            process.terminate()
            process.wait(timeout=30)
            output.seek(0)
            log = output.read()
    assert "Traceback" not in log


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_the_demo_key_is_revoked_when_the_demo_stops_and_would_expire_anyway(make_database, stop):
    database = make_database("qa_demo")
    with tempfile.TemporaryFile("w+") as output:
        process, printed = start_demo(database.render_as_string(hide_password=False), output)
        try:
            headers = {"Authorization": f"Bearer {printed['secret']}"}
            assert httpx.get(printed["url"], headers=headers).status_code == 200
        finally:
            process.send_signal(stop)
            process.wait(timeout=60)
            output.seek(0)
            log = output.read()
    assert "revoked the demo read key" in log and "Traceback" not in log
    keys: list[Any] = admin_rows(database, "select name, created_at, expires_at, revoked_at from api_keys")
    [(name, created, expires, revoked)] = keys
    assert name == "demo" and revoked is not None
    # A demo killed outright cannot revoke its key: it expires twelve hours after it was made.
    assert abs(expires - created - timedelta(hours=12)) < timedelta(minutes=1)


def test_a_busy_port_is_refused_before_any_database_work():
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        unreachable = "postgresql://nobody@127.0.0.1:1/none"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "toolkit.cli",
                "--database-url",
                unreachable,
                "serve",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in done.stderr and "--port" in done.stderr
    # The database named is unreachable: had the command tried it first, that would be the error shown.
    assert "Traceback" not in done.stderr and "unreachable" not in done.stderr
