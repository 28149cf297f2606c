from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from tests.conftest import admin_rows
from tests.integration.http.conftest import make_key
from toolkit.cli import main
from toolkit.services import ApiKeyService

OPEN_PATHS = re.compile(r"^/(health/(live|ready)|schema(/.*)?|static/.*|dashboard)$")


def every_route(app):
    """(method, concrete path) for every handler of the app, path parameters filled with 1."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods - {"OPTIONS"}):
            yield method, path


async def test_every_route_but_health_and_docs_refuses_a_request_without_a_key(client, database_url):
    guarded = 0
    for method, path in every_route(client.app):
        response = await client.request(method, path)
        if OPEN_PATHS.match(path):
            assert response.status_code != 401, (method, path)
        else:
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["code"] == "HTTP401"
            assert response.headers["www-authenticate"].startswith("Bearer")
            guarded += 1
    assert guarded >= 10


async def test_serve_help_names_every_path_that_needs_no_key(client, capsys):
    open_paths = {
        "/" + route.path.split("/")[1]
        for route in client.app.routes
        if isinstance(route, HTTPRoute) and any(h.opt.get("open") for h in route.route_handlers)
    }
    assert open_paths >= {"/health", "/schema", "/static", "/dashboard"}
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert all(path in said.partition("needs an API key")[0] for path in open_paths), said


async def test_every_write_route_refuses_a_read_key(client, read_key):
    writes = [
        (m, p) for m, p in every_route(client.app) if m not in ("GET", "HEAD") and not OPEN_PATHS.match(p)
    ]
    assert len(writes) >= 5
    for method, path in writes:
        response = await client.request(method, path, json={}, headers=read_key)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "reader" in response.json()["message"]


async def test_an_unknown_key_is_refused(client, database_url):
    response = await client.get("/v1/accounts", headers={"Authorization": "Bearer qa_not-a-real-key"})
    assert response.status_code == 401 and "unknown or revoked" in response.json()["message"]


async def test_a_revoked_key_is_refused_on_the_next_request(client, container, database_url):
    secret = await make_key(container, "short-lived", "read")
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/v1/accounts", headers=headers)).status_code == 200
    async with container.enter_scope() as scope:
        await (await scope.get(ApiKeyService)).revoke("short-lived", actor="test")
    assert (await client.get("/v1/accounts", headers=headers)).status_code == 401


async def test_keys_are_stored_hashed_never_in_clear(container, database_url):
    secret = await make_key(container, "hashed", "write")
    import psycopg

    from tests.conftest import libpq

    with psycopg.connect(libpq(database_url)) as conn:
        stored = conn.execute("select secret_hash from api_keys where name = 'hashed'").fetchone()[0]
    assert secret not in stored and len(stored) == 64


async def make_expiring_key(container, name: str, expires: str) -> str:
    async with container.enter_scope() as scope:
        _, secret = await (await scope.get(ApiKeyService)).create(name, "read", actor="test", expires=expires)
    return secret


async def test_a_key_before_its_expiry_is_accepted(client, container, database_url):
    secret = await make_expiring_key(container, "for-today", "8h")
    response = await client.get("/v1/accounts", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.text


async def test_a_key_past_its_expiry_is_refused_saying_it_expired_not_that_it_is_unknown(
    client, container, database_url
):
    secret = await make_expiring_key(container, "yesterday", "8h")
    moved = "update api_keys set expires_at = '2026-11-30 09:00+00' where name = 'yesterday' returning id"
    assert len(admin_rows(database_url, moved)) == 1  # as the owner: no path of the toolkit edits a key
    response = await client.get("/v1/accounts", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert response.json()["message"] == "the API key 'yesterday' expired at 2026-11-30 09:00:00 UTC"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_read_key_may_ask_which_methods_a_route_takes(client, read_key):
    """OPTIONS (not a browser's preflight, which needs no key) reads nothing and writes nothing."""
    for path in ("/v1/accounts", "/v1/accounts/1", "/v1/metrics/signups"):
        response = await client.options(path, headers=read_key)
        assert response.status_code == 204, (path, response.text)
        assert "GET" in response.headers["allow"]
    assert (await client.options("/v1/accounts")).status_code == 401
