"""CORS as a browser meets it, in-process: the listed origin gets the headers on every answer (the row
shortcut's and errors too), a preflight needs no key, and an origin not on the list gets nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sidecar import create_app
from sidecar.shortcut import RowShortcut
from toolkit.settings import Settings

DASHBOARD = "http://127.0.0.1:3000"
STRANGER = "http://127.0.0.1:6666"


@pytest.fixture(scope="module")
async def browser_client(settings: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    allowed = replace(settings, cors_origins=(DASHBOARD, "http://localhost:3000"))
    async with AsyncTestClient(app=create_app(allowed)) as test_client:
        yield test_client


def exposed(response: Any) -> set[str]:
    return {h.strip().lower() for h in response.headers.get("access-control-expose-headers", "").split(",")}


def test_the_setting_is_a_comma_separated_list_and_empty_by_default():
    environ = {"QUEACCOUNT_CORS_ORIGINS": " http://127.0.0.1:3000, https://grafana.example.com/ "}
    assert Settings.load(environ=environ, env_file=None).cors_origins == (
        "http://127.0.0.1:3000",
        "https://grafana.example.com",
    )
    assert Settings.load(environ={}, env_file=None).cors_origins == ()


async def test_a_preflight_is_answered_without_a_key(browser_client, database_url):
    response = await browser_client.options(
        "/v1/accounts",
        headers={
            "Origin": DASHBOARD,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, prefer, range, if-none-match",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "prefer", "range", "if-none-match", "if-match"} <= allowed
    assert "PATCH" in response.headers["access-control-allow-methods"]


async def test_a_list_from_the_allowed_origin_exposes_the_paging_headers(browser_client, read_key, accounts):
    response = await browser_client.get(
        "/v1/accounts?limit=2", headers=read_key | {"Origin": DASHBOARD, "Prefer": "count=exact"}
    )
    assert response.status_code == 200 and len(response.json()) == 2
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    assert {"content-range", "link", "etag", "x-limit-capped", "location"} <= exposed(response)


async def test_a_refusal_carries_the_headers_so_the_page_can_read_why(browser_client, database_url):
    response = await browser_client.get("/v1/accounts", headers={"Origin": DASHBOARD})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    assert "API key is required" in response.json()["message"]


async def test_a_row_answered_by_the_shortcut_carries_the_headers(
    browser_client, read_key, accounts, monkeypatch
):
    answered: list[bool] = []
    original = RowShortcut.answer

    async def spy(self: RowShortcut, *args: Any) -> bool:
        answered.append(await original(self, *args))
        return answered[-1]

    monkeypatch.setattr(RowShortcut, "answer", spy)
    url = f"/v1/accounts/{accounts[0]['id']}"
    assert (await browser_client.get(url, headers=read_key)).status_code == 200  # the key is now cached
    response = await browser_client.get(url, headers=read_key | {"Origin": DASHBOARD})
    assert answered[-1] is True
    assert response.json()["email"] == "ada@example.com"
    assert response.headers["access-control-allow-origin"] == DASHBOARD and "etag" in exposed(response)


async def test_an_origin_not_on_the_list_is_given_nothing(browser_client, read_key, accounts):
    preflight = await browser_client.options(
        "/v1/accounts", headers={"Origin": STRANGER, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
    url = f"/v1/accounts/{accounts[0]['id']}"
    for path in ("/v1/accounts", url, url):  # the second row read is the shortcut's
        response = await browser_client.get(path, headers=read_key | {"Origin": STRANGER})
        assert "access-control-allow-origin" not in response.headers


async def test_without_the_setting_no_origin_is_allowed(client, read_key, accounts):
    response = await client.get("/v1/accounts", headers=read_key | {"Origin": DASHBOARD})
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
