"""`GET /v1/accounts/{id}` answered before Litestar's routing (sidecar/shortcut.py) is the same answer the
Litestar route gives, and everything the shortcut does not handle still gets the route's full answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sidecar import create_app
from sidecar.shortcut import RowShortcut
from tests.integration.http.conftest import make_key
from toolkit.keycache import ApiKeyCache
from toolkit.services import ApiKeyService

VARIANTS = [
    {},
    {"Accept": "application/json"},
    {"Accept": "application/vnd.pgrst.object+json"},
    {"Accept": "text/csv"},
    {"Accept": "*/*"},
    {"If-None-Match": '"1"'},
    {"If-None-Match": '"7"'},
]


@pytest.fixture
async def answered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the shortcut answered, request by request."""
    seen: list[bool] = []
    original = RowShortcut.answer

    async def spy(self: RowShortcut, *args: Any) -> bool:
        seen.append(await original(self, *args))
        return seen[-1]

    monkeypatch.setattr(RowShortcut, "answer", spy)
    return seen


@pytest.fixture
async def uncached(settings: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    """The same app with the key cache off: every request goes through Litestar's route."""
    async with AsyncTestClient(app=create_app(replace(settings, api_key_cache_s=0))) as client:
        yield client


def comparable(response: Any) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in {"date", "server"}}
    return response.status_code, response.content, headers


@pytest.mark.parametrize("extra", VARIANTS, ids=[str(v) or "plain" for v in VARIANTS])
async def test_the_shortcut_answers_exactly_as_the_route_does(
    client, uncached, read_key, accounts, answered, extra
):
    url = f"/v1/accounts/{accounts[0]['id']}"
    assert (await client.get(url, headers=read_key)).status_code == 200  # the key is now cached
    shortcut = await client.get(url, headers=read_key | extra)
    assert answered[-1] is True
    route = await uncached.get(url, headers=read_key | extra)
    assert answered[-1] is False
    assert comparable(shortcut) == comparable(route)
    assert shortcut.status_code in {200, 304}


async def test_what_the_shortcut_does_not_handle_gets_the_routes_full_answer(
    client, read_key, accounts, answered
):
    url = f"/v1/accounts/{accounts[0]['id']}"
    assert (await client.get(url, headers=read_key)).status_code == 200
    missing = await client.get("/v1/accounts/999999999", headers=read_key)
    assert missing.status_code == 404 and missing.json()["message"]
    unacceptable = await client.get(url, headers=read_key | {"Accept": "image/png"})
    assert unacceptable.status_code == 406 and unacceptable.json()["code"] == "PGRST107"
    unknown = await client.get(url, headers={"Authorization": "Bearer qa_not_a_key"})
    assert unknown.status_code == 401
    assert (await client.get(url)).status_code == 401
    assert answered[-4:] == [False, False, False, False]


async def test_a_key_revoked_in_this_process_is_refused_on_the_next_request(client, container, accounts):
    headers = {"Authorization": f"Bearer {await make_key(container, 'poller', 'read')}"}
    url = f"/v1/accounts/{accounts[0]['id']}"
    assert (await client.get(url, headers=headers)).status_code == 200
    assert (await client.get(url, headers=headers)).status_code == 200
    async with container.enter_scope() as scope:
        await (await scope.get(ApiKeyService)).revoke("poller", actor="test")
    assert (await client.get(url, headers=headers)).status_code == 401


async def test_a_cached_key_found_by_its_remembered_digest_holds_no_secret_and_is_refused_once_revoked(
    container, database_url
):
    cache: ApiKeyCache = await container.get(ApiKeyCache)
    secret = await make_key(container, "remembered", "read")
    async with container.enter_scope() as scope:
        key = await (await scope.get(ApiKeyService)).authenticate(secret)  # looked up, now cached
        digest = (await scope.get(ApiKeyService)).hash(secret)
    assert key is not None and cache.known(secret) == key  # the HMAC is computed, then remembered
    assert cache.known(secret) == key  # found by the remembered digest
    assert digest in cache.recalled.values()
    assert not any(secret.encode() in mark or secret in kept for mark, kept in cache.recalled.items())
    async with container.enter_scope() as scope:
        await (await scope.get(ApiKeyService)).revoke("remembered", actor="test")
    assert cache.known(secret) is None
    remembered = len(cache.recalled)
    assert cache.known("qa_not_a_key") is None and len(cache.recalled) == remembered  # unknown: not kept


LISTS = [
    "/v1/accounts?plan=eq.free&order=id.asc&limit=2",
    "/v1/accounts?select=plan,count()&or=(country.eq.DE,country.eq.FR)",
    "/v1/audit?select=entity,action",
    "/v1/transactions",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("extra", [{}, {"Accept": "text/csv"}, {"Prefer": "count=exact"}], ids=str)
async def test_a_list_answered_early_is_the_routes_answer(
    client, uncached, read_key, accounts, url, extra, monkeypatch
):
    assert (await client.get(url, headers=read_key)).status_code == 200  # the key is now cached
    seen: list[bool] = []
    original = RowShortcut.answer_list

    async def spy(self: RowShortcut, *args: Any) -> bool:
        seen.append(await original(self, *args))
        return seen[-1]

    monkeypatch.setattr(RowShortcut, "answer_list", spy)
    # A list's ETag follows the server's snapshot, which a commit anywhere on the shared test server moves:
    # the two answers must agree in full once no commit fell between them (a few tries).
    for _ in range(5):
        seen.clear()
        early = await client.get(url, headers=read_key | extra)
        assert seen == [True]
        route = await uncached.get(url, headers=read_key | extra)
        if early.headers["etag"] == route.headers["etag"]:
            break
    assert comparable(early) == comparable(route)
    revalidating = read_key | extra | {"If-None-Match": early.headers["etag"]}
    again, route_again = (
        await client.get(url, headers=revalidating),
        await uncached.get(url, headers=revalidating),
    )
    assert again.status_code == 304
    if route_again.status_code == 304:  # (unless a commit elsewhere moved the snapshot in between)
        assert comparable(again) == comparable(route_again)


async def test_a_bad_list_request_gets_the_routes_error_document(client, read_key, accounts):
    assert (await client.get("/v1/accounts", headers=read_key)).status_code == 200
    bad = await client.get("/v1/accounts?plan=eq.gold", headers=read_key)
    assert bad.status_code == 400 and "one of free" in bad.json()["message"]
