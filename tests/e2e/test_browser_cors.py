"""A dashboard page on another origin, in a real headless Chromium: from an origin on
QUEACCOUNT_CORS_ORIGINS it reads rows and the paging headers with a Bearer key; from any other it gets
nothing (the browser refuses the answer)."""

from __future__ import annotations

import functools
import html
import json
import os
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.e2e.browser import visit
from tests.e2e.test_serve import Server, serving
from tests.integration.http.conftest import make_key

PAGE = """<!doctype html><html><body><pre id="out">waiting</pre><script>
fetch("API/v1/accounts?limit=2&order=id", {headers: {Authorization: "Bearer KEY", Prefer: "count=exact"}})
  .then(async (r) => {
    const rows = await r.json();
    document.getElementById("out").textContent = JSON.stringify({
      status: r.status, range: r.headers.get("Content-Range"), link: r.headers.get("Link"),
      emails: rows.map((row) => row.email)});
  })
  .catch((e) => { document.getElementById("out").textContent = "refused: " + e.message; });
</script></body></html>
"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def page_origins(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two plain static servers on loopback, two origins: (allowed, not allowed)."""
    handler = functools.partial(Quiet, directory=str(tmp_path))
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        allowed, stranger = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
        yield allowed, stranger
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def sidecar(database_url, page_origins) -> Iterator[Server]:
    allowed, _ = page_origins
    yield from serving(database_url, env=os.environ | {"QUEACCOUNT_CORS_ORIGINS": allowed})


def shown(dom: str) -> str:
    match = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert match is not None, dom[-2000:]
    return html.unescape(match.group(1))


async def test_a_page_on_an_allowed_origin_reads_rows_and_paging_headers(
    sidecar, page_origins, container, tmp_path
):
    writer = {"Authorization": f"Bearer {await make_key(container, 'seed', 'write')}"}
    people = [{"email": f"p{i}@example.com", "full_name": f"P {i}", "country": "NL"} for i in range(3)]
    async with httpx.AsyncClient(base_url=sidecar.base, headers=writer) as http:
        assert (await http.post("/v1/accounts", json=people)).status_code == 201
    secret = await make_key(container, "browser", "read")
    (tmp_path / "page.html").write_text(PAGE.replace("API", sidecar.base).replace("KEY", secret))
    allowed, stranger = page_origins

    got = json.loads(shown(visit(f"{allowed}/page.html", budget_ms=5000).dom))
    assert got["status"] == 200 and got["emails"] == ["p0@example.com", "p1@example.com"]
    assert got["range"] == "0-1/3" and 'rel="next"' in got["link"]

    refused = shown(visit(f"{stranger}/page.html", budget_ms=5000).dom)
    assert refused.startswith("refused: ") and "p0@example.com" not in refused
    log = sidecar.stop()
    assert "OPTIONS /v1/accounts 204" in log and "GET /v1/accounts 200" in log and "key=browser" in log
