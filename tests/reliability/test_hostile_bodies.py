"""Malformed, oversized and strange request bodies are refused with a message; nothing is written."""

from __future__ import annotations

import json

import psycopg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import libpq
from tests.reliability.hostile import HOSTILE_TEXT, HUGE_EXPONENT, nested


def counts(database_url) -> tuple[int, int, int]:
    """Rows in accounts, transactions and the audit log: a refused write leaves all three unchanged."""
    with psycopg.connect(libpq(database_url)) as conn:
        return (
            conn.execute("select count(*) from accounts").fetchone()[0],
            conn.execute("select count(*) from transactions").fetchone()[0],
            conn.execute("select count(*) from audit_log").fetchone()[0],
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
    (b'{"email": "x@example.com", "full_name": "X\xff", "country": "DE"}', "application/json", 400),
    (b'{"email": "x@example.com", "full_name": "\xc3", "country": "DE"}', "application/json", 400),
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
    assert counts(database_url)[:2] == (0, 0)


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


JSON = {"Content-Type": "application/json"}


def posting(account_id: int, amount: str) -> bytes:
    return f'{{"account_id": {account_id}, "kind": "adjustment", "amount": {amount}}}'.encode()


@pytest.mark.parametrize(
    "amount", ['"1e999999999"', "1E+99999", '"1E+99999"', '"-1e999999999"', "1e999999999", '"9e999999"']
)
async def test_an_amount_whose_exponent_overflows_is_a_422_naming_row_and_field(
    client, write_key, database_url, account, amount
):
    before = counts(database_url)
    single = await client.post(
        "/v1/transactions", content=posting(account["id"], amount), headers=write_key | JSON
    )
    many = b"[" + posting(account["id"], '"1.00"') + b"," + posting(account["id"], amount) + b"]"
    batch = await client.post("/v1/transactions", content=many, headers=write_key | JSON)
    assert single.status_code == 422, single.text
    assert "field 'amount'" in single.json()["message"] and "out of range" in single.json()["message"]
    assert batch.status_code == 422, batch.text
    assert "row 1, field 'amount'" in batch.json()["message"]
    assert counts(database_url) == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/transactions", b"[" * 100_000),
        ("/v1/accounts", b"[" * 100_000 + b"]" * 100_000),
        ("/v1/accounts", b'{"email": ' * 100_000),
        (
            "/v1/accounts",
            b'[{"email": "x@example.com", "full_name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}]",
        ),
    ],
)
async def test_a_deeply_nested_body_is_a_400(client, write_key, database_url, account, path, body):
    before = counts(database_url)
    response = await client.post(path, content=body, headers=write_key | JSON)
    assert response.status_code == 400, response.text
    assert response.json()["message"]
    deep_patch = await client.patch(f"/v1/accounts/{account['id']}", content=body, headers=write_key | JSON)
    assert deep_patch.status_code == 400, deep_patch.text
    assert counts(database_url) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            '{"account_id": ACCOUNT, "kind": "deposit", "amount": "\u0661\u0662\u0663"}',
            "amount",
        ),
        (
            '{"account_id": ACCOUNT, "kind": "deposit", "amount": "\uff11\uff12"}',
            "amount",
        ),
        ('{"account_id": ACCOUNT, "kind": "deposit", "amount": "1_000"}', "amount"),
        ('{"account_id": "\u0661", "kind": "deposit", "amount": "1"}', "account_id"),
        ('[{"account_id": ACCOUNT, "kind": "deposit", "amount": "\u0661"}]', "amount"),
    ],
)
async def test_numbers_written_with_digits_that_are_not_ascii_are_refused(
    client, write_key, database_url, account, body, field
):
    before = counts(database_url)
    raw = body.replace("ACCOUNT", str(account["id"])).encode()
    response = await client.post("/v1/transactions", content=raw, headers=write_key | JSON)
    assert response.status_code in (400, 422), response.text
    assert field in response.text
    assert counts(database_url) == before


@pytest.mark.parametrize(
    "target", ["id=eq.\u0661", "id=eq.\uff11", "id=eq.1_0", "id=eq.99999999999999999999"]
)
async def test_a_patch_by_filter_with_a_strange_id_is_a_400(client, write_key, database_url, account, target):
    before = counts(database_url)
    response = await client.patch(f"/v1/accounts?{target}", json={"plan": "pro"}, headers=write_key)
    assert response.status_code == 400, response.text
    assert counts(database_url) == before


NOT_JSON = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    None,
    "application/json; charset=latin-1",
]


@pytest.mark.parametrize("content_type", NOT_JSON)
async def test_a_write_that_is_not_json_is_a_415_and_nothing_is_written(
    client, write_key, database_url, account, content_type
):
    before = counts(database_url)
    headers = write_key | ({"Content-Type": content_type} if content_type else {})
    new = b'{"email": "ct@example.com", "full_name": "Content Type", "country": "DE"}'
    post = b'{"account_id": %d, "kind": "deposit", "amount": "1.00"}' % account["id"]
    answers = [
        await client.post("/v1/accounts", content=new, headers=headers),
        await client.post("/v1/transactions", content=post, headers=headers),
        await client.patch(f"/v1/accounts/{account['id']}", content=b'{"plan": "pro"}', headers=headers),
        await client.patch(
            f"/v1/accounts?id=eq.{account['id']}", content=b'{"plan": "pro"}', headers=headers
        ),
        await client.post(f"/v1/accounts/{account['id']}/close", content=b"close=1", headers=headers),
    ]
    for response in answers:
        assert response.status_code == 415, (response.request.url, response.text)
        assert set(response.json()) == {"code", "message", "details", "hint"}
        assert "application/json" in response.json()["message"]
    assert counts(database_url) == before


async def test_a_body_that_is_not_utf8_is_a_400_that_says_so(client, write_key, database_url, account):
    before = counts(database_url)
    post = (
        b'{"account_id": %d, "kind": "deposit", "amount": "1.00", "description": "caf\xe9"}' % account["id"]
    )
    response = await client.post(
        "/v1/transactions", content=post, headers=write_key | {"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "UTF-8" in response.json()["message"]
    assert counts(database_url) == before


async def test_an_empty_body_is_a_400_that_says_so(client, write_key, database_url, account):
    before = counts(database_url)
    headers = write_key | {"Content-Type": "application/json"}
    answers = [
        await client.post("/v1/accounts", content=b"", headers=headers),
        await client.post("/v1/transactions", content=b"", headers=headers),
        await client.patch(f"/v1/accounts/{account['id']}", content=b"", headers=headers),
    ]
    for response in answers:
        assert response.status_code == 400, (response.request.url, response.text)
        assert "empty" in response.json()["message"], response.text
    assert counts(database_url) == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"]
)
async def test_json_with_or_without_a_utf8_charset_is_accepted(client, write_key, database_url, content_type):
    new = b'{"email": "ok@example.com", "full_name": "Content Type", "country": "DE"}'
    response = await client.post(
        "/v1/accounts", content=new, headers=write_key | {"Content-Type": content_type}
    )
    assert response.status_code == 201, response.text


async def test_a_write_of_more_rows_than_the_cap_is_a_413_with_a_hint_and_nothing_is_written(
    settings, container, database_url, account
):
    from dataclasses import replace

    from litestar.testing import AsyncTestClient

    from sidecar import create_app
    from tests.integration.http.conftest import make_key

    headers = {"Authorization": f"Bearer {await make_key(container, 'batch', 'write')}"}
    before = counts(database_url)
    people = [{"email": f"cap{i}@example.com", "full_name": "Cap", "country": "DE"} for i in range(4)]
    postings = [{"account_id": account["id"], "kind": "deposit", "amount": "1.00"}] * 4
    async with AsyncTestClient(app=create_app(replace(settings, max_write_rows=3))) as capped:
        too_many = [
            await capped.post("/v1/accounts", json=people, headers=headers),
            await capped.post("/v1/transactions", json=postings, headers=headers),
        ]
        assert counts(database_url)[:2] == before[:2]
        for response in too_many:
            assert response.status_code == 413, response.text
            assert "at most 3" in response.json()["message"]
            assert "batches" in response.json()["hint"] and "post_frame" in response.json()["hint"]
        within = await capped.post("/v1/transactions", json=postings[:3], headers=headers)
    assert within.status_code == 201, within.text


RAW_NUMBER = st.one_of(HUGE_EXPONENT, st.integers().map(str), st.decimals(places=3).map(str))
AMOUNT = st.one_of(HOSTILE_TEXT.map(json.dumps), RAW_NUMBER)
POSTING = st.fixed_dictionaries(
    {
        "account_id": st.one_of(st.just("ACCOUNT"), RAW_NUMBER, HOSTILE_TEXT.map(json.dumps)),
        "kind": st.sampled_from(['"deposit"', '"withdrawal"', '"x\\u0000"', "1"]),
        "amount": AMOUNT,
        "description": st.one_of(HOSTILE_TEXT, st.text(max_size=20)).map(json.dumps),
    }
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "", "application/xml"]
)


@pytest.fixture
def sync_writer(settings, database_url):
    """A synchronous client (hypothesis drives it), a write key and an account with money on it."""
    from litestar.testing import TestClient

    from sidecar import create_app
    from tests.reliability.test_hostile_queries import read_key

    headers = {"Authorization": f"Bearer {read_key(settings, scope='write')}"}
    with TestClient(app=create_app(settings)) as http:
        made = http.post(
            "/v1/accounts",
            json={"email": "fuzz@example.com", "full_name": "Fuzz", "country": "DE"},
            headers=headers | {"Prefer": "return=representation"},
        )
        account_id = made.json()[0]["id"]
        deposit = {"account_id": account_id, "kind": "deposit", "amount": "100.00"}
        assert http.post("/v1/transactions", json=deposit, headers=headers).status_code == 201
        yield http, headers, account_id


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    posting=POSTING,
    many=st.booleans(),
    depth=st.one_of(st.just(0), st.integers(min_value=1, max_value=100_000)),
    content_type=CONTENT_TYPES,
)
def test_any_posting_body_is_answered_2xx_or_4xx_and_a_refusal_writes_nothing(
    sync_writer, database_url, posting, many, depth, content_type
):
    http, headers, account_id = sync_writer
    fields = ", ".join(f'"{k}": {v}' for k, v in posting.items()).replace('"ACCOUNT"', str(account_id))
    body = "{" + fields + "}"
    body = nested(depth, body) if depth else (f"[{body}, {body}]" if many else body)
    before = counts(database_url)
    response = http.post(
        "/v1/transactions",
        content=body.encode("utf-8", "surrogatepass"),
        headers=headers | ({"Content-Type": content_type} if content_type else {}),
    )
    assert response.status_code < 500, (body[:300], response.text)
    if response.status_code >= 400:
        assert response.json()["message"], response.text
        assert counts(database_url) == before
    if not content_type.startswith("application/json"):
        assert response.status_code == 415, (content_type, response.text)
