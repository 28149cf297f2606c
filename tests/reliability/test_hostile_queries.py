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
from tests.reliability.hostile import HOSTILE_TEXT, typed_filter
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
    st.sampled_from(
        [*COLUMNS, "select", "order", "limit", "offset", "group_by", "bucket", "from", "to", "tz"]
    ),
    st.text(min_size=1, max_size=12),
)
OPS = st.sampled_from(
    ["eq.", "neq.", "gt.", "lt.", "like.", "ilike.", "in.(", "is.", "not.eq.", "not.in.(", ""]
)
MARK = "zqx"  # every generated value carries this, so the SQL text can be searched for it
VALUES = st.builds(lambda op, text: f"{op}{MARK}{text}", OPS, st.one_of(st.text(max_size=30), HOSTILE_TEXT))
NUMERIC = {"id", "balance", "version", "account_id", "amount", "entity_id", "last_entity_id"}
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
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=typed_filter())
def test_any_operator_on_any_column_with_any_value_is_answered_200_or_4xx(http, case):
    """Operators that do not fit the column's type, control characters, huge exponents, digits that are not
    ASCII: never a 500, and a number in digits other than ASCII is a 400, not read as another number."""
    client, headers = http
    route, params = case
    response = client.get(route, params=params, headers=headers)
    assert response.status_code < 500, (route, params, response.text)
    assert response.status_code not in (401, 403), response.text
    column, raw = params[0]
    value = raw.split(".", 2)[-1] if raw.startswith("not.") else raw.partition(".")[2]
    if column in NUMERIC and not raw.startswith(("is", "not.is")) and not value.isascii():
        assert response.status_code == 400, (route, params, response.text)


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


HOSTILE_READS = [
    # NUL and other control characters in a value (PostgreSQL cannot take NUL in text)
    ("/v1/accounts", "full_name=eq.a\x00b"),
    ("/v1/accounts", "full_name=like.a\x00*"),
    ("/v1/accounts", "email=in.(a\x00b,c)"),
    ("/v1/accounts", "email=gt.a\x01"),
    ("/v1/accounts", "created_at=gt.2025-01-01T00:00:00\x00"),
    ("/v1/audit", "actor=eq.\x00"),
    ("/v1/transactions", "description=eq.\x1b[0m"),
    ("/v1/metrics/accounts", "country=eq.\x00"),
    ("/v1/accounts", "order=full_name\x00"),
    ("/v1/accounts", "select=id,\x00email"),
    # an operator that does not fit the column's type
    ("/v1/accounts", "balance=like.*1*"),
    ("/v1/accounts", "created_at=gt.abc"),
    ("/v1/accounts", "id=ilike.x"),
    ("/v1/accounts", "id=is.true"),
    ("/v1/accounts", "balance=is.false"),
    ("/v1/accounts", "status=is.true"),
    ("/v1/transactions", "created_at=not.is.true"),
    ("/v1/audit", "changes=eq.x"),
    ("/v1/metrics/accounts", "email=is.true"),
    # numbers whose exponent overflows decimal arithmetic or the column
    ("/v1/accounts", "balance=gt.1e999999"),
    ("/v1/accounts", "balance=gt.1E+99999"),
    ("/v1/accounts", "balance=lt.-1e999999999"),
    ("/v1/accounts", "balance=eq.1e-999999"),
    ("/v1/transactions", "amount=in.(1,1e999999)"),
    ("/v1/metrics/accounts", "balance=gt.1e999999"),
    ("/v1/accounts", "offset=99999999999999999999999"),
    ("/v1/accounts", "limit=99999999999999999999999"),
    # digits that are not ASCII: Arabic-Indic, full-width, superscript, and Python's underscores
    ("/v1/accounts", "id=eq.\u0661\u0662\u0663"),
    ("/v1/accounts", "balance=eq.\u0661\u0662"),
    ("/v1/accounts", "version=eq.\uff11"),
    ("/v1/accounts", "id=eq.1_0"),
    ("/v1/audit", "entity_id=eq.\u0661"),
    ("/v1/accounts", "limit=\u0661"),
    ("/v1/accounts", "offset=\u00b2"),
    ("/v1/metrics/accounts", "id=eq.\u0661"),
    # times: epochs past the year 9999, zones that are paths or not zones, ranges past what datetime holds
    ("/v1/accounts", "created_at=gte.9999999999999999"),
    ("/v1/transactions", "occurred_at=lt.-99999999999999999999"),
    ("/v1/metrics/signups", "from=99999999999999999999"),
    ("/v1/metrics/signups", "to=1e99"),
    ("/v1/metrics/transactions", "from=\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660"),
    ("/v1/metrics/transactions", "tz=../../../etc/passwd"),
    ("/v1/metrics/transactions", "tz=Europe/Berlin\x00"),
    ("/v1/metrics/signups", "tz=localtime"),
    ("/v1/metrics/transactions", "account_id=eq.\u0661"),
    ("/v1/metrics/signups", "created_at=gt.abc"),
    # more columns than a statement may have, and numbers past an integer column's range
    pytest.param("/v1/accounts", "select=" + ",".join(["id"] * 1700), id="select-1700-columns"),
    pytest.param(
        "/v1/accounts", "select=" + ",".join(f"a{n}:id" for n in range(1700)), id="select-1700-aliases"
    ),
    pytest.param("/v1/audit", "select=" + ",".join(["count()"] * 1700), id="select-1700-counts"),
    pytest.param("/v1/metrics/accounts", "group_by=" + ",".join(["plan"] * 1700), id="group-by-1700"),
    ("/v1/metrics/accounts", "group_by=plan,status,plan"),
    ("/v1/accounts", "version=gt.2147483648"),
    ("/v1/accounts", "version=in.(1,-2147483649)"),
    ("/v1/metrics/accounts", "version=lt.99999999999"),
    # a like pattern ending in the escape character, which PostgreSQL refuses row by row
    ("/v1/accounts", "full_name=like.*\\"),
    ("/v1/accounts", "email=ilike.a\\"),
    ("/v1/transactions", "description=like.\\\\\\"),
    ("/v1/metrics/accounts", "full_name=ilike.*\\"),
]


@pytest.mark.parametrize(("route", "query"), HOSTILE_READS)
def test_hostile_filter_values_are_a_400_that_names_the_parameter(http, route, query):
    client, headers = http
    name, _, value = query.partition("=")
    response = client.get(route, params=[(name, value)], headers=headers)
    assert response.status_code == 400, (query, response.text)
    assert response.json()["message"], response.text
    assert name.split(",")[0] in response.text or "select" in query or "order" in query, response.text


@pytest.mark.parametrize("value", ["\u00b2-", "0-\u0661", "99999999999999999999999-"])
def test_a_range_header_with_strange_digits_is_a_400(http, value):
    client, headers = http
    response = client.get("/v1/accounts", headers=headers | {"Range": value.encode()})  # type: ignore[dict-item]
    assert response.status_code == 400, response.text


STRANGE_IDS = [
    "9223372036854775808",  # one past the largest bigint
    "-9223372036854775809",
    "99999999999999999999999",
    "\u0661",  # Arabic-Indic one, which Python's int() reads as 1
    "1_0",  # which int() reads as 10
]


@pytest.mark.parametrize("row_id", STRANGE_IDS)
@pytest.mark.parametrize("path", ["/v1/accounts/{}", "/v1/transactions/{}", "/v1/audit/{}"])
def test_a_row_id_in_the_path_that_is_not_a_bigint_in_ascii_digits_is_a_400_naming_it(http, path, row_id):
    client, headers = http
    response = client.get(path.format(row_id), headers=headers)
    assert response.status_code == 400, response.text
    assert "_id" in response.json()["message"] and row_id in response.json()["message"], response.text


@pytest.mark.parametrize("row_id", STRANGE_IDS[::3])
def test_a_write_to_a_row_id_that_is_not_one_is_a_400(client, settings, database_url, row_id):
    headers = {"Authorization": f"Bearer {read_key(settings, 'write')}"}
    answers = [
        client.patch(f"/v1/accounts/{row_id}", json={"plan": "pro"}, headers=headers),
        client.post(f"/v1/accounts/{row_id}/close", headers=headers),
        client.delete(f"/v1/accounts/{row_id}", headers=headers),
    ]
    assert [a.status_code for a in answers] == [400] * 3, [a.text for a in answers]
