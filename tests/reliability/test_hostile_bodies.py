"""Malformed, oversized and strange request bodies are refused with a message; nothing is written."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import libpq


def counts(database_url) -> tuple[int, int]:
    with psycopg.connect(libpq(database_url)) as conn:
        return (
            conn.execute("select count(*) from accounts").fetchone()[0],
            conn.execute("select count(*) from transactions").fetchone()[0],
        )


@pytest.fixture
async def account(client, write_key):
    body = {"email": "h@example.com", "full_name": "Hostile Test", "country": "DE"}
    response = await client.post(
        "/v1/accounts", json=body, headers=write_key | {"Prefer": "return=representation"}
    )
    assert response.status_code == 201
    deposit = {"account_id": response.json()[0]["id"], "kind": "deposit", "amount": "10.00"}
    assert (await client.post("/v1/transactions", json=deposit, headers=write_key)).status_code == 201
    return response.json()[0]


BAD_BODIES = [
    (b'{"email": "x@example.com", "full_name": ', "application/json", 400),
    (b"not json at all", "application/json", 400),
    (b"email=x@example.com", "application/x-www-form-urlencoded", 400),
    (b'{"email": "x@example.com", "full_name": "X", "country": 49}', "application/json", 400),
    (
        '{"email": "\u202e@example.com", "full_name": "\U0001f600", "country": "DE"}'.encode(),
        "application/json",
        422,
    ),
    (b'{"email": "x@example.com", "full_name": "\\u0000", "country": "DE"}', "application/json", 400),
    (
        b'{"email": "x@example.com", "full_name": "\xe2\x80\x8bHidden", "country": "DE"}',
        "application/json",
        422,
    ),
]


@pytest.mark.parametrize(("body", "content_type", "status"), BAD_BODIES)
async def test_bad_account_bodies_are_refused_with_a_message(
    client,
    write_key,
    database_url,
    body,
    content_type,
    status,
):
    before = counts(database_url)
    response = await client.post(
        "/v1/accounts", content=body, headers=write_key | {"Content-Type": content_type}
    )
    assert response.status_code in (400, 415, 422), response.text
    assert response.json()["message"]
    assert counts(database_url) == before


@pytest.mark.parametrize(
    "amount",
    [
        '"NaN"',
        '"Infinity"',
        '"-Infinity"',
        "1e400",
        '"1e20"',
        "123456789012345678901234567890",
        '"1.001"',
        '"abc"',
    ],
)
async def test_money_that_is_not_an_exact_finite_amount_is_refused(
    client,
    write_key,
    database_url,
    account,
    amount,
):
    before = counts(database_url)
    body = f'{{"account_id": {account["id"]}, "kind": "adjustment", "amount": {amount}}}'.encode()
    response = await client.post(
        "/v1/transactions", content=body, headers=write_key | {"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    said = response.json()["message"] + str(response.json().get("details"))
    assert "amount" in said or "out of range" in said, said
    assert counts(database_url) == before


async def test_an_oversized_body_is_refused_with_413(client, write_key, database_url):
    huge = b'{"email": "big@example.com", "full_name": "' + b"x" * (12 * 1024 * 1024) + b'", "country": "DE"}'
    response = await client.post(
        "/v1/accounts", content=huge, headers=write_key | {"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert counts(database_url) == (0, 0)


async def test_a_limit_above_the_maximum_is_capped_and_signalled(client, read_key, settings):
    response = await client.get(f"/v1/accounts?limit={settings.max_page_size * 10}", headers=read_key)
    assert response.status_code == 200
    assert response.headers["x-limit-capped"] == str(settings.max_page_size)


async def test_a_huge_id_or_number_in_a_filter_is_a_400(client, read_key):
    for query in ("id=eq.99999999999999999999999", "balance=gt.NaN", "created_at=gt.not-a-date"):
        response = await client.get(f"/v1/accounts?{query}", headers=read_key)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["message"]


async def test_a_query_past_the_statement_timeout_is_a_clear_504(settings, database_url, container):
    from dataclasses import replace

    from litestar.testing import AsyncTestClient

    from sidecar import create_app
    from tests.integration.http.conftest import make_key

    with psycopg.connect(libpq(database_url)) as conn:
        conn.execute(
            "insert into accounts (email, full_name, country)"
            " select 'slow' || i || '@example.com', 'Slow', 'DE' from generate_series(1, 50000) i"
        )
    headers = {"Authorization": f"Bearer {await make_key(container, 'slow', 'read')}"}
    async with AsyncTestClient(app=create_app(replace(settings, statement_timeout_ms=1))) as impatient:
        response = await impatient.get("/v1/metrics/accounts?group_by=status,plan,country", headers=headers)
    assert response.status_code == 504, response.text
    assert "statement timeout" in response.json()["message"]
