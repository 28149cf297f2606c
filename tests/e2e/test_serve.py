"""The real `queaccount serve` process on 127.0.0.1, spoken to over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.http.conftest import make_key
from toolkit.cluster import free_port


class Server:
    """`queaccount serve` in a process of its own (`cwd` and `env` for a copy of the repository)."""

    def __init__(self, database_url, cwd=None, env=None) -> None:
        port = free_port()
        url = database_url.render_as_string(hide_password=False)
        command = [sys.executable, "-m", "toolkit.cli", "--database-url", url, "serve", "--port", str(port)]
        # Output goes to a file, not a pipe: a pipe nobody reads fills up and blocks the server's logging.
        self.output = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed with the process in stop()
        self.process = subprocess.Popen(
            command, stdout=self.output, stderr=subprocess.STDOUT, text=True, cwd=cwd, env=env
        )
        self.base = f"http://127.0.0.1:{port}"
        self.printed = ""

    def wait_until_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail(f"queaccount serve was not ready within {seconds} s")

    def stop(self) -> str:
        """Stop the server (this test started it) and return everything it printed."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=15)
        if not self.output.closed:
            self.output.seek(0)
            self.printed = self.output.read()
            self.output.close()
        return self.printed


def serving(database_url, env=None) -> Iterator[Server]:
    """A ready server for a fixture to yield (`yield from serving(url)`), stopped afterwards."""
    running = Server(database_url, env=env)
    try:
        running.wait_until_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
def server(database_url) -> Iterator[Server]:
    yield from serving(database_url)


async def test_serve_answers_over_real_http_and_logs_the_key_name_never_its_secret(server, container):
    secret = await make_key(container, "e2e", "write")
    async with httpx.AsyncClient(base_url=server.base, headers={"Authorization": f"Bearer {secret}"}) as http:
        created = await http.post(
            "/v1/accounts",
            json={"email": "e2e@example.com", "full_name": "End To End", "country": "NL"},
            headers={"Prefer": "return=representation"},
        )
        assert created.status_code == 201
        account_id = created.json()[0]["id"]
        fetched = await http.get(f"/v1/accounts/{account_id}")
        assert fetched.json()["email"] == "e2e@example.com" and fetched.headers["etag"] == '"1"'
        listed = await http.get("/v1/accounts?country=eq.NL&select=email", headers={"Prefer": "count=exact"})
        assert listed.json() == [{"email": "e2e@example.com"}] and listed.headers["content-range"] == "0-0/1"
    log = server.stop()
    assert "POST /v1/accounts 201" in log and "key=e2e" in log
    assert f"GET /v1/accounts/{account_id} 200" in log  # answered by the shortcut, logged the same way
    assert secret not in log and "country=eq.NL" not in log


async def test_a_query_sent_with_raw_brackets_cannot_point_the_next_link_elsewhere(server, container):
    """Clients other than browsers may send `<`, `>` and `"` unencoded: the Link header's target is a URI
    reference ending at the first `>`, so the page's own query must not end it early (RFC 8288)."""
    secret = await make_key(container, "e2e", "write")
    async with httpx.AsyncClient(base_url=server.base, headers={"Authorization": f"Bearer {secret}"}) as http:
        made = [{"email": f"l{n}@example.com", "full_name": "L", "country": "NL"} for n in range(3)]
        assert (await http.post("/v1/accounts", json=made)).status_code == 201
    host, port = server.base.removeprefix("http://").split(":")
    hostile = 'full_name=neq.a>;%20rel="preload",<//evil.example/x.js&select=id&limit=1'
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(
            f"GET /v1/accounts?{hostile} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {secret}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head = answer.decode("latin-1").partition("\r\n\r\n")[0]
    assert head.startswith("HTTP/1.1 200"), head
    link = next(line for line in head.split("\r\n") if line.lower().startswith("link:"))
    target, _, after = link.split("<", 1)[1].partition(">")
    assert target.startswith("/v1/accounts?") and after == '; rel="next"', link
    assert not set('<>" ') & set(target) and "evil.example" in target, link  # still the client's filter
