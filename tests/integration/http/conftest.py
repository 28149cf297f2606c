"""The sidecar in-process, on the run's real database, with a read key and a write key per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sidecar import create_app
from toolkit.services import ApiKeyService


@pytest.fixture(scope="session")
async def client(settings: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


async def make_key(container: Any, name: str, scope: str) -> str:
    async with container.enter_scope() as scope_container:
        keys = await scope_container.get(ApiKeyService)
        _, secret = await keys.create(name, scope, actor="test")
    return secret


@pytest.fixture
async def read_key(container: Any, database_url: Any) -> dict[str, str]:
    """Headers carrying a fresh read key."""
    return {"Authorization": f"Bearer {await make_key(container, 'reader', 'read')}"}


@pytest.fixture
async def write_key(container: Any, database_url: Any) -> dict[str, str]:
    """Headers carrying a fresh write key named 'writer' (the actor in the audit log)."""
    return {"Authorization": f"Bearer {await make_key(container, 'writer', 'write')}"}


@pytest.fixture
async def accounts(client: Any, write_key: dict[str, str]) -> list[dict[str, Any]]:
    """Five accounts made over HTTP: ada (GB, pro), bob (DE), cy (DE, business), dee (FR), eve (closed)."""
    people = [
        {"email": "ada@example.com", "full_name": "Ada Lovelace", "country": "GB", "plan": "pro"},
        {"email": "bob@example.com", "full_name": "Bob Builder", "country": "DE"},
        {"email": "cy@example.com", "full_name": "Cy Young", "country": "DE", "plan": "business"},
        {"email": "dee@example.com", "full_name": "Dee Dee", "country": "FR"},
        {"email": "eve@example.com", "full_name": "Eve Online", "country": "US"},
    ]
    headers = write_key | {"Prefer": "return=representation"}
    response = await client.post("/v1/accounts", json=people, headers=headers)
    assert response.status_code == 201, response.text
    created: list[dict[str, Any]] = response.json()
    closed = await client.post(f"/v1/accounts/{created[4]['id']}/close", headers=write_key)
    assert closed.status_code == 200, closed.text
    created[4] = closed.json()
    return created
