"""Every answer gets its access-log line, those Litestar's router gives by itself included, and a refused key
is named in it."""

from __future__ import annotations

import logging
import sys

import pytest
from uvicorn.logging import DefaultFormatter

from sidecar.access_log import LINE, PLAIN, LineFormatter


@pytest.fixture
def access_lines(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="sidecar.access")
    return caplog


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sidecar.access"]


async def test_an_unknown_path_and_a_wrong_method_get_a_line(client, read_key, access_lines):
    assert (await client.get("/v1/nothing-here?email=eq.x@example.com", headers=read_key)).status_code == 404
    assert (await client.put("/v1/accounts", json={}, headers=read_key)).status_code == 405
    logged = lines(access_lines)
    assert any(line.startswith("GET /v1/nothing-here 404 ") for line in logged), logged
    assert any(line.startswith("PUT /v1/accounts 405 ") for line in logged), logged
    assert not any("example.com" in line for line in logged)


async def test_a_read_key_refused_a_write_is_named(client, read_key, access_lines):
    refused = await client.post("/v1/accounts", json={}, headers=read_key)
    assert refused.status_code == 403
    logged = lines(access_lines)
    assert any(line.startswith("POST /v1/accounts 403 ") and line.endswith("key=reader") for line in logged)
    assert not any(read_key["Authorization"].split()[1] in line for line in logged)


async def test_a_row_read_by_the_shortcut_still_names_its_key(client, read_key, accounts, access_lines):
    url = f"/v1/accounts/{accounts[0]['id']}"
    for _ in range(2):  # the first read puts the key in the cache, the second is the shortcut's
        assert (await client.get(url, headers=read_key)).status_code == 200
    logged = [line for line in lines(access_lines) if line.startswith(f"GET {url} 200 ")]
    assert len(logged) == 2 and all(line.endswith("key=reader") for line in logged), logged


@pytest.mark.parametrize("colours", [False, True])
def test_the_served_log_lines_are_uvicorns_own(colours: bool) -> None:
    """`queaccount serve` formats with LineFormatter: byte for byte what uvicorn's formatter writes."""
    ours, uvicorns = (kind(fmt=PLAIN, use_colors=colours) for kind in (LineFormatter, DefaultFormatter))
    try:
        raise ValueError("boom")
    except ValueError:
        failure = sys.exc_info()
    records = [
        logging.LogRecord(
            "sidecar.access", logging.INFO, __file__, 1, LINE, ("GET", "/v1/x", 200, 1.26, "r"), None
        ),
        logging.LogRecord("sidecar", logging.WARNING, __file__, 1, "lost %s", ("it",), None),
        logging.LogRecord("sidecar", logging.ERROR, __file__, 1, "failed", (), failure),
    ]
    for record in records:
        assert ours.format(record) == uvicorns.format(logging.makeLogRecord(record.__dict__))
    assert (
        ours.format(records[0])
        == ("\x1b[32mINFO\x1b[0m" if colours else "INFO") + ":     GET /v1/x 200 1.3ms key=r"
    )


async def test_a_path_cannot_forge_a_line_or_colour_the_log(client, read_key, access_lines):
    forged = "/v1/x%0d%0aINFO:%20%20%20%20%20GET%20/v1/accounts%20200%201.0ms%20key=admin%1b%5b2J%e2%80%a8"
    assert (await client.get(forged, headers=read_key)).status_code == 404
    logged = [line for line in lines(access_lines) if line.startswith("GET /v1/x")]
    assert len(logged) == 1, lines(access_lines)
    assert logged[0].isprintable() and logged[0].endswith("key=-"), logged
    assert "%0D%0AINFO" in logged[0] and "%1B" in logged[0], logged
