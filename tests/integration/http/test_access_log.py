"""Every answer gets its access-log line, those Litestar's router gives by itself included, and a refused key
is named in it."""

from __future__ import annotations

import logging

import pytest


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
