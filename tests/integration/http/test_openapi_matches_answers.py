"""The OpenAPI document says what is sent: every GET route's real answers on the sample data validate
against the document's schema for that status and media type, with fields the document does not list
refused, and every paging or caching header sent is documented; so are the HEADs of those routes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

from toolkit.services import SampleDataService

SENT_HEADERS = ("content-range", "link", "etag", "x-limit-capped", "location")
OBJECT = "application/vnd.pgrst.object+json"
METRICS = {
    "/v1/metrics/accounts": ["", "group_by=status,plan", "group_by=country&status=eq.active", "limit=2"],
    "/v1/metrics/signups": ["", "bucket=week", "bucket=month&from=2020-01-01&to=2030-12-31"],
    "/v1/metrics/transactions": ["", "bucket=month", "bucket=week&group_by=kind"],
}


def strict(schema: Any, components: dict[str, Any]) -> Any:
    """`schema` with its $refs resolved and `additionalProperties: false` on every object."""
    if isinstance(schema, list):
        return [strict(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return strict(components[schema["$ref"].rsplit("/", 1)[1]], components)
    out = {key: strict(value, components) for key, value in schema.items() if key != "examples"}
    if out.get("type") == "object" and "properties" in schema:
        out["additionalProperties"] = False
    return out


def check(document: dict[str, Any], path: str, method: str, response: Any) -> None:
    """The answer's status, body and headers are the ones the document gives for `method path`."""
    operation = document["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method} {path}: {response.status_code} is not documented"
    headers = {name.lower() for name in documented.get("headers", {})}
    for name in SENT_HEADERS:
        assert name not in response.headers or name in headers, f"{method} {path}: {name} not documented"
    if not response.content:
        return
    media = response.headers["content-type"].split(";")[0]
    content = documented["content"]
    assert media in content, f"{method} {path}: {media} not documented for {response.status_code}"
    schema = strict(content[media]["schema"], document["components"]["schemas"])
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json())]
    assert errors == [], f"{method} {path}: {errors[:5]}"


@pytest.fixture
async def sample(run: Any) -> None:
    await run(SampleDataService, lambda s: s.load_if_empty(accounts=60, transactions=400))


async def row_ids(client, read_key):
    """`/v1/accounts/{account_id}` as `/v1/accounts/1`: the path of a row a read key sees. For the audit, its
    first row a read key may see (the log's first rows record the keys' creation, which it may not)."""
    [audit] = (await client.get("/v1/audit?limit=1&order=id", headers=read_key)).json()

    def row(path: str) -> str:
        one = str(audit["id"]) if path.startswith("/v1/audit/") else "1"
        return path.replace(path[path.find("{") : path.find("}") + 1], one)

    return row


async def test_every_get_answer_on_the_sample_data_is_what_the_document_says(client, read_key, sample):
    document = (await client.get("/schema/openapi.json")).json()
    validate(document)
    asked: list[str] = []
    row = await row_ids(client, read_key)
    for path, item in document["paths"].items():
        if "get" not in item or path.startswith("/health"):
            continue
        urls = [row(path)] if "{" in path else []
        if path.startswith("/v1/metrics"):
            urls = [f"{path}?{query}" for query in METRICS[path]]
        elif not urls:
            urls = [path, f"{path}?limit=5&order=id.desc", f"{path}?limit=100000"]
        for url in urls:
            response = await client.get(url, headers=read_key)
            assert response.status_code == 200, f"{url}: {response.text}"
            check(document, path, "get", response)
            asked.append(url)
        if "{" not in path and not path.startswith("/v1/metrics"):
            one = await client.get(f"{path}?id=eq.1", headers=read_key | {"Accept": OBJECT})
            check(document, path, "get", one)
    assert len(asked) >= 16, asked


async def test_errors_and_revalidations_are_answered_as_documented(client, read_key, sample):
    document = (await client.get("/schema/openapi.json")).json()
    for path in ("/v1/accounts", "/v1/transactions", "/v1/audit"):
        check(document, path, "get", await client.get(f"{path}?id=eq.one", headers=read_key))
        check(document, path, "get", await client.get(f"{path}?nope=eq.1", headers=read_key))
        item = next(p for p in document["paths"] if p.startswith(f"{path}/{{") and p.endswith("}"))
        check(document, item, "get", await client.get(item.split("{")[0] + "999999", headers=read_key))
    account = await client.get("/v1/accounts/1", headers=read_key)
    again = await client.get("/v1/accounts/1", headers=read_key | {"If-None-Match": account.headers["etag"]})
    assert again.status_code == 304
    check(document, "/v1/accounts/{account_id}", "get", again)


async def test_the_sample_answers_fail_a_schema_that_lacks_a_field(client, read_key, sample):
    """The check above would see a field the document leaves out."""
    document = (await client.get("/schema/openapi.json")).json()
    narrowed = copy.deepcopy(document)
    del narrowed["components"]["schemas"]["Account"]["properties"]["balance"]
    narrowed["components"]["schemas"]["Account"]["required"].remove("balance")
    response = await client.get("/v1/accounts?limit=3", headers=read_key)
    check(document, "/v1/accounts", "get", response)
    with pytest.raises(AssertionError, match="balance"):
        check(narrowed, "/v1/accounts", "get", response)


async def test_a_full_page_of_account_groups_has_its_link_and_filters_documented(client, read_key, sample):
    document = (await client.get("/schema/openapi.json")).json()
    response = await client.get("/v1/metrics/accounts?group_by=status,plan&limit=2", headers=read_key)
    assert "link" in response.headers
    check(document, "/v1/metrics/accounts", "get", response)
    listed = [p["name"] for p in document["paths"]["/v1/metrics/accounts"]["get"]["parameters"]]
    assert {"country", "status", "balance"} <= set(listed)


async def test_write_answers_and_their_headers_are_documented(client, write_key):
    document = (await client.get("/schema/openapi.json")).json()
    ada = {"email": "ada@example.com", "full_name": "Ada Lovelace", "country": "DE"}
    created = await client.post("/v1/accounts", json=ada, headers=write_key)
    check(document, "/v1/accounts", "post", created)
    item = created.headers["location"]
    shown = await client.post(
        "/v1/accounts",
        json=[ada | {"email": "bo@example.com"}],
        headers=write_key | {"Prefer": "return=representation"},
    )
    check(document, "/v1/accounts", "post", shown)
    path = "/v1/accounts/{account_id}"
    check(document, path, "patch", await client.patch(item, json={"plan": "pro"}, headers=write_key))
    stale = write_key | {"If-Match": '"1"'}
    check(document, path, "patch", await client.patch(item, json={"plan": "free"}, headers=stale))
    check(
        document,
        path,
        "patch",
        await client.patch(item, json={"plan": "free", "version": 1}, headers=write_key),
    )
    check(document, path, "patch", await client.patch(item, json={"balance": "9.00"}, headers=write_key))
    check(document, f"{path}/close", "post", await client.post(f"{item}/close", headers=stale))
    check(document, f"{path}/close", "post", await client.post(f"{item}/close", headers=write_key))


async def test_every_get_route_documents_its_head_and_answers_it_as_documented(client, read_key, sample):
    document = (await client.get("/schema/openapi.json")).json()
    validate(document)
    asked = []
    row = await row_ids(client, read_key)
    for path, item in document["paths"].items():
        if "get" not in item:
            continue
        head = item["head"]
        assert set(head["responses"]) == set(item["get"]["responses"]), path
        assert not any("content" in answer for answer in head["responses"].values()), path
        assert head.get("parameters") == item["get"].get("parameters"), path
        url = row(path) if "{" in path else path
        got, headed = (await client.get(url, headers=read_key)), (await client.head(url, headers=read_key))
        assert headed.status_code == got.status_code == 200 and headed.content == b"", url
        assert headed.headers["content-length"] == got.headers["content-length"], url
        check(document, path, "head", headed)
        asked.append(url)
    refused = await client.head("/v1/accounts?id=eq.one", headers=read_key)
    assert refused.status_code == 400 and refused.content == b""
    check(document, "/v1/accounts", "head", refused)
    tag = (await client.head("/v1/accounts/1", headers=read_key)).headers["etag"]
    again = await client.head("/v1/accounts/1", headers=read_key | {"If-None-Match": tag})
    assert again.status_code == 304
    check(document, "/v1/accounts/{account_id}", "head", again)
    assert len(asked) >= 11, asked
