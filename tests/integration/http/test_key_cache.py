"""The in-memory cache of validated API keys: it saves the lookup, and no revocation outlives it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from litestar.testing import AsyncTestClient

from sidecar import create_app
from tests.conftest import libpq
from tests.integration.http.conftest import make_key
from toolkit.keycache import ApiKeyCache, forget_all_keys
from toolkit.services import ApiKeyService
from toolkit.wiring import create_container

AN_HOUR = 3600.0  # long enough that only a revocation, never the expiry, can empty the cache in a test


@pytest.fixture
async def long_lived(settings: Any, database_url: Any) -> AsyncIterator[Any]:
    """A container whose cached keys would live an hour."""
    container = create_container(replace(settings, api_key_cache_s=AN_HOUR))
    yield container
    await container.close()


async def authenticate(container: Any, secret: str) -> Any:
    async with container.enter_scope() as scope:
        return await (await scope.get(ApiKeyService)).authenticate(secret)


async def cache_of(container: Any) -> ApiKeyCache:
    cache: ApiKeyCache = await container.get(ApiKeyCache)
    return cache


def revoke_in_another_process(name: str, url: Any) -> None:
    env = {"PATH": "/usr/bin:/bin", "QUEACCOUNT_DATABASE_URL": url.render_as_string(hide_password=False)}
    done = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "keys", "revoke", name],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


async def until(condition: Any, seconds: float = 10.0) -> None:
    """Wait for something another process causes (a notification in flight), failing after `seconds`."""
    for _ in range(int(seconds / 0.01)):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("it did not happen in time")


async def test_a_validated_key_is_served_from_the_cache_after_its_first_lookup(long_lived):
    secret = await make_key(long_lived, "cached", "read")
    first = await authenticate(long_lived, secret)
    cache = await cache_of(long_lived)
    async with long_lived.enter_scope() as scope:
        digest = (await scope.get(ApiKeyService)).hash(secret)
    assert cache.get(digest) == first and first.name == "cached"
    assert await authenticate(long_lived, secret) == first


async def test_revoking_in_this_process_empties_every_cache_before_the_next_request(long_lived, container):
    secret = await make_key(long_lived, "local", "read")
    assert await authenticate(long_lived, secret) is not None
    async with container.enter_scope() as scope:
        await (await scope.get(ApiKeyService)).revoke("local", actor="test")
    assert await authenticate(long_lived, secret) is None


async def test_a_key_revoked_by_the_cli_in_another_process_is_refused_over_http(
    settings, container, database_url
):
    app = create_app(replace(settings, api_key_cache_s=AN_HOUR))
    async with AsyncTestClient(app=app) as client:
        headers = {"Authorization": f"Bearer {await make_key(container, 'dashboard', 'read')}"}
        assert (await client.get("/v1/accounts", headers=headers)).status_code == 200
        assert (await client.get("/v1/accounts", headers=headers)).status_code == 200
        revoke_in_another_process("dashboard", database_url)

        async def refused() -> bool:
            return (await client.get("/v1/accounts", headers=headers)).status_code == 401

        await until(refused)
        assert (await client.get("/v1/accounts", headers=headers)).status_code == 401


async def test_a_lookup_that_raced_a_revocation_is_not_cached(long_lived):
    secret = await make_key(long_lived, "racer", "read")
    assert await authenticate(long_lived, secret) is not None
    cache = await cache_of(long_lived)
    key, digest = next((key, digest) for digest, (key, *_) in cache.entries.items())
    before = cache.epoch
    forget_all_keys()
    cache.put(digest, key, before)
    assert cache.get(digest) is None


async def test_without_its_listening_connection_the_cache_answers_nothing_until_it_listens_again(
    long_lived, database_url
):
    secret = await make_key(long_lived, "listener", "read")
    assert await authenticate(long_lived, secret) is not None
    cache = await cache_of(long_lived)
    digest = next(iter(cache.entries))
    with psycopg.connect(libpq(database_url), autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(%s)", (cache.listener.info.backend_pid,))

    async def deaf() -> bool:
        return not cache._fresh()

    await until(deaf)
    assert cache.entries == {} and cache.get(digest) is None
    assert await authenticate(long_lived, secret) is not None
    assert cache.listener is not None and len(cache.entries) == 1


async def test_a_cached_key_expires_after_the_configured_seconds(long_lived, monkeypatch):
    secret = await make_key(long_lived, "expiring", "read")
    assert await authenticate(long_lived, secret) is not None
    cache = await cache_of(long_lived)
    digest = next(iter(cache.entries))
    now = time.monotonic()
    monkeypatch.setattr("toolkit.keycache.time.monotonic", lambda: now + AN_HOUR + 1)
    assert cache.get(digest) is None and cache.entries == {}


async def test_a_cached_key_is_refused_once_its_own_expiry_passes_with_no_notification(
    settings, container, monkeypatch
):
    app = create_app(replace(settings, api_key_cache_s=AN_HOUR))
    async with AsyncTestClient(app=app) as client:
        async with container.enter_scope() as scope:
            keys = await scope.get(ApiKeyService)
            key, secret = await keys.create("shift", "read", actor="test", expires="8h")
        headers = {"Authorization": f"Bearer {secret}"}
        for path in ("/v1/accounts", "/v1/accounts?limit=1"):  # the second is answered from the cache
            assert (await client.get(path, headers=headers)).status_code == 200
        # Cached for an hour and no revocation announced: only the cache's own comparison can refuse it.
        later = key.expires_at.timestamp() + 1
        monkeypatch.setattr("toolkit.keycache.wall_clock", lambda: later)
        for path in ("/v1/accounts", "/v1/accounts?limit=1", "/v1/accounts/1"):
            refused = await client.get(path, headers=headers)
            assert refused.status_code == 401, path
            assert refused.json()["message"].startswith("the API key 'shift' expired at ")


async def test_a_cache_time_of_zero_looks_the_key_up_every_time(settings, database_url):
    uncached = create_container(replace(settings, api_key_cache_s=0))
    try:
        secret = await make_key(uncached, "uncached", "read")
        assert await authenticate(uncached, secret) is not None
        cache = await cache_of(uncached)
        assert cache.listener is None and cache.entries == {}
    finally:
        await uncached.close()


async def test_a_key_lookup_holds_no_connection_of_the_request_so_reads_never_need_two(long_lived):
    """Under load, a request holding a pooled connection while waiting for a second one starves the pool."""
    secret = await make_key(long_lived, "lookup", "read")
    async with long_lived.enter_scope() as scope:
        keys = await scope.get(ApiKeyService)
        assert await keys.authenticate(secret) is not None
        assert not keys.uow.session.in_transaction()
