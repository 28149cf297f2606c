"""The OpenAPI document lists what each route reads: every column as a filter (with an example the API
takes), the grammar's parameters and headers, and realistic examples rather than made-up strings."""

from __future__ import annotations

from typing import Any

import pytest

from toolkit.resources import registered

LISTS = [f"/v1/{resource.path}" for resource in registered()]


@pytest.fixture(scope="module")
async def document(client):
    return (await client.get("/schema/openapi.json")).json()


def examples_in(node: Any) -> list[Any]:
    if isinstance(node, list):
        return [e for item in node for e in examples_in(item)]
    if not isinstance(node, dict):
        return []
    own = [*node.get("examples", []), *([node["example"]] if "example" in node else [])]
    return own + [e for key, value in node.items() if key != "examples" for e in examples_in(value)]


def names(operation):
    return [p["name"] for p in operation.get("parameters", [])]


@pytest.mark.parametrize("path", LISTS)
async def test_a_list_route_lists_a_filter_per_column_and_the_grammar(document, path):
    resource = next(r for r in registered() if f"/v1/{r.path}" == path)
    listed = names(document["paths"][path]["get"])
    assert listed == [
        *resource.table.c.keys(),
        *("or", "and", "select", "order", "limit", "offset", "Range", "Prefer", "Accept", "If-None-Match"),
    ]
    headers = document["paths"][path]["get"]["responses"]["200"]["headers"]
    assert {"Content-Range", "Link", "X-Limit-Capped", "ETag"} <= set(headers)


@pytest.mark.parametrize("path", LISTS)
async def test_every_documented_example_is_a_request_the_api_takes(client, read_key, document, path):
    for parameter in document["paths"][path]["get"]["parameters"]:
        given = {parameter["name"]: str(parameter["example"])}
        query = given if parameter["in"] == "query" else {}
        headers = read_key | ({} if query else given)
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code in (200, 206), f"{given}: {response.status_code} {response.text}"


async def test_the_grouped_aggregate_lists_or_and_and_as_a_list_does_and_a_series_does_not(
    client, read_key, document
):
    paths = document["paths"]
    grouped = {p["name"]: p for p in paths["/v1/metrics/accounts"]["get"]["parameters"]}
    assert {"or", "and"} <= set(grouped)
    for name in ("or", "and"):
        params = {"group_by": "plan", name: grouped[name]["example"]}
        response = await client.get("/v1/metrics/accounts", params=params, headers=read_key)
        assert response.status_code == 200, (name, response.text)
    for series in ("/v1/metrics/signups", "/v1/metrics/transactions"):
        assert not {"or", "and"} & set(names(paths[series]["get"]))  # a series refuses them


async def test_descriptions_name_the_operators_that_fit_the_column(document):
    described = {p["name"]: p["description"] for p in document["paths"]["/v1/accounts"]["get"]["parameters"]}
    assert "`ilike`" in described["email"] and "`gt`" in described["balance"]
    assert "`ilike`" not in described["balance"] and "`gt`" not in described["status"]
    assert "active, suspended, closed" in described["status"]


async def test_changes_name_their_conditional_and_preference_headers(document):
    paths = document["paths"]
    assert names(paths["/v1/accounts/{account_id}"]["patch"]) == ["account_id", "If-Match", "Prefer"]
    assert names(paths["/v1/accounts"]["patch"])[0] == "id"
    assert names(paths["/v1/accounts/{account_id}/close"]["post"]) == ["account_id", "If-Match"]
    assert names(paths["/v1/transactions"]["post"]) == ["Prefer"]
    assert "ETag" in paths["/v1/accounts/{account_id}"]["get"]["responses"]["200"]["headers"]
    assert "304" in paths["/v1/accounts/{account_id}"]["get"]["responses"]
    assert "If-None-Match" not in names(paths["/v1/transactions/{transaction_id}"]["get"])  # no version


async def test_examples_are_realistic(document):
    schemas = document["components"]["schemas"]
    account = schemas["Account"]["properties"]
    assert account["email"]["examples"] == ["ada@example.com"]
    assert account["balance"]["examples"] == ["1250.00"]
    assert (account["country"]["examples"], account["currency"]["examples"]) == (["DE"], ["EUR"])
    texts = [e for e in examples_in(document) if isinstance(e, str)]
    assert len(texts) > 20 and all(len(e) < 50 for e in texts), texts
    assert "sum" not in schemas["TransactionBucket"]["properties"]
    assert "total" in schemas["TransactionBucket"]["required"]
