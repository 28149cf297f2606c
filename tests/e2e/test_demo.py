"""`queaccount demo` as a new user meets it: the printed curl line works the moment it is printed, and a busy
port is refused at once with a message saying what to do."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import time

import httpx

from tests.e2e.test_serve import free_port

DASHBOARD = re.compile(r"Live dashboard at (?P<url>http://\S+/dashboard) ")
CURL = re.compile(r"curl -H 'Authorization: Bearer (?P<secret>[^']+)' '(?P<url>[^']+)'")


def test_the_printed_curl_line_answers_as_soon_as_it_is_printed(make_database):
    url = make_database("qa_demo").render_as_string(hide_password=False)
    port = free_port()
    command = [sys.executable, "-m", "toolkit.cli", "--database-url", url, "demo", "--port", str(port)]
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
        try:
            deadline, printed = time.monotonic() + 120, None
            while printed is None and time.monotonic() < deadline and process.poll() is None:
                output.seek(0)
                printed = CURL.search(output.read())
                time.sleep(0.02)
            assert printed is not None, "the demo never printed its curl line"
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
