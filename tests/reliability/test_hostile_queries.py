"""Any string in any query parameter gives 200 or 4xx, never 500, and never reaches SQL except bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import psycopg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from sidecar import create_app
from toolkit.services import ApiKeyService
from toolkit.wiring import create_container

ROUTES = [
    "/v1/accounts",
    "/v1/transactions",
    "/v1/audit",
    "/v1/metrics/accounts",
    "/v1/metrics/signups",
    "/v1/metrics/transactions",
]
COLUMNS = ["id", "email", "status", "plan", "balance", "created_at", "account_id", "amount", "kind", "actor"]
NAMES = st.one_of(
    st.sampled_from([*COLUMNS, "select", "order", "limit", "offset", "group_by", "bucket", "from", "to"]),
    st.text(min_size=1, max_size=12),
)
OPS = st.sampled_from(
    ["eq.", "neq.", "gt.", "lt.", "like.", "ilike.", "in.(", "is.", "not.eq.", "not.in.(", ""]
)
MARK = "zqx"  # every generated value carries this, so the SQL text can be searched for it
VALUES = st.builds(lambda op, text: f"{op}{MARK}{text}", OPS, st.text(max_size=30))
STATEMENTS: list[str] = []


def read_key(settings: Any, scope: str = "read") -> str:
    scope_name = scope

    async def make() -> str:
        container = create_container(settings)
        try:
            async with container.enter_scope() as scope:
                _, secret = await (await scope.get(ApiKeyService)).create(
                    f"fuzz-{scope_name}", scope_name, actor="test"
                )
                return secret
        finally:
            await container.close()

    return anyio.run(make)


@pytest.fixture(scope="module")
def client(settings: Any) -> Iterator[TestClient[Any]]:
    """The app, with every statement sent through psycopg captured (the session's and the lean reads')."""
    execute = psycopg.AsyncCursor.execute

    async def capture(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        STATEMENTS.append(query if isinstance(query, str) else repr(query))
        return await execute(cursor, query, *args, **kwargs)

    psycopg.AsyncCursor.execute = capture  # type: ignore[method-assign]
    try:
        with TestClient(app=create_app(settings)) as test_client:
            yield test_client
    finally:
        psycopg.AsyncCursor.execute = execute  # type: ignore[method-assign]


@pytest.fixture
def http(client: TestClient[Any], settings: Any, database_url: Any) -> tuple[TestClient[Any], dict[str, str]]:
    """The client and a read key made after this test's tables were emptied."""
    return client, {"Authorization": f"Bearer {read_key(settings)}"}


@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(route=st.sampled_from(ROUTES), params=st.lists(st.tuples(NAMES, VALUES), min_size=1, max_size=4))
def test_any_query_string_is_answered_200_or_4xx_and_stays_out_of_sql(http, route, params):
    client, headers = http
    STATEMENTS.clear()
    response = client.get(route, params=params, headers=headers)
    assert response.status_code < 500, (route, params, response.text)
    assert response.status_code not in (401, 403), response.text
    if response.status_code >= 400:
        body = response.json()
        assert body.get("message") or body.get("detail"), body
    for statement in STATEMENTS:
        assert MARK not in statement, (route, params, statement)


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=st.text(max_size=40), prefer=st.text(max_size=40), accept=st.text(max_size=40))
def test_any_range_prefer_or_accept_header_is_answered_without_500(http, header, prefer, accept):
    client, headers = http

    def safe(text: str) -> str:
        return "".join(c for c in text if 32 <= ord(c) < 127)

    extra = {"Range": safe(header), "Prefer": safe(prefer), "Accept": safe(accept) or "*/*"}
    response = client.get("/v1/accounts", headers=headers | extra)
    assert response.status_code < 500, (extra, response.text)
    assert response.status_code not in (401, 403), response.text


def test_the_sql_capture_sees_reads_and_values_stay_bound(http):
    client, headers = http
    STATEMENTS.clear()
    value = f"{MARK}'; drop table accounts; --"
    response = client.get(
        "/v1/accounts", params={"email": f"eq.{value}", "full_name": f"ilike.*{MARK}*"}, headers=headers
    )
    assert response.status_code == 200 and response.json() == []
    assert any("FROM accounts" in s for s in STATEMENTS)
    assert all(MARK not in s for s in STATEMENTS)
