from __future__ import annotations

import csv
import io


async def test_filters_select_order_and_limit_follow_the_postgrest_grammar(client, read_key, accounts):
    response = await client.get(
        "/v1/accounts?country=eq.DE&select=email,plan&order=email.desc&limit=5", headers=read_key
    )
    assert response.status_code == 200
    assert response.json() == [
        {"email": "cy@example.com", "plan": "business"},
        {"email": "bob@example.com", "plan": "free"},
    ]
    assert response.headers["content-range"] == "0-1/*"


async def test_negation_in_lists_is_and_like_combine(client, read_key, accounts):
    response = await client.get(
        "/v1/accounts?status=not.eq.closed&country=not.in.(DE,FR)&email=ilike.*A*&select=email",
        headers=read_key,
    )
    assert [r["email"] for r in response.json()] == ["ada@example.com"]
    nulls = await client.get("/v1/transactions?description=is.null", headers=read_key)
    assert nulls.status_code == 200 and nulls.json() == []


async def test_count_exact_fills_content_range_and_offset_pages(client, read_key, accounts):
    response = await client.get(
        "/v1/accounts?order=id.asc&limit=2&offset=1", headers=read_key | {"Prefer": "count=exact"}
    )
    assert response.headers["content-range"] == "1-2/5"
    assert [r["id"] for r in response.json()] == [accounts[1]["id"], accounts[2]["id"]]


async def test_range_header_pages_like_limit_and_offset(client, read_key, accounts):
    response = await client.get("/v1/accounts?select=id", headers=read_key | {"Range": "2-3"})
    assert [r["id"] for r in response.json()] == [accounts[2]["id"], accounts[3]["id"]]
    assert response.headers["content-range"] == "2-3/*"


async def test_a_full_page_links_to_the_next_by_keyset(client, read_key, accounts):
    first = await client.get("/v1/accounts?select=id&order=id.asc&limit=2", headers=read_key)
    link = first.headers["link"]
    assert f"id=gt.{accounts[1]['id']}" in link and 'rel="next"' in link
    following = await client.get(link[link.index("<") + 1 : link.index(">")], headers=read_key)
    assert [r["id"] for r in following.json()] == [accounts[2]["id"], accounts[3]["id"]]


async def test_page_size_is_capped_and_the_cap_is_said(client, read_key, accounts, settings):
    response = await client.get(f"/v1/accounts?limit={settings.max_page_size + 1}", headers=read_key)
    assert response.status_code == 200 and len(response.json()) == 5
    assert response.headers["x-limit-capped"] == str(settings.max_page_size)


async def test_csv_has_a_header_row_and_the_selected_columns(client, read_key, accounts):
    response = await client.get(
        "/v1/accounts?select=email,balance&order=email&limit=2", headers=read_key | {"Accept": "text/csv"}
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["email", "balance"],
        ["ada@example.com", "0.00"],
        ["bob@example.com", "0.00"],
    ]


async def test_single_object_needs_exactly_one_row(client, read_key, accounts):
    one = {"Accept": "application/vnd.pgrst.object+json"}
    response = await client.get("/v1/accounts?email=eq.bob@example.com", headers=read_key | one)
    assert response.status_code == 200 and response.json()["full_name"] == "Bob Builder"
    many = await client.get("/v1/accounts?country=eq.DE", headers=read_key | one)
    assert many.status_code == 406 and many.json()["code"] == "PGRST116"


async def test_bad_grammar_is_a_400_naming_what_is_wrong(client, read_key, accounts):
    unknown_column = await client.get("/v1/accounts?colour=eq.red", headers=read_key)
    assert unknown_column.status_code == 400 and "colour" in unknown_column.json()["message"]
    assert set(unknown_column.json()) == {"code", "message", "details", "hint"}
    bad_operator = await client.get("/v1/accounts?plan=is.pro", headers=read_key)
    assert bad_operator.status_code == 400 and "is" in bad_operator.json()["message"]
    bad_value = await client.get("/v1/accounts?id=gt.many", headers=read_key)
    assert bad_value.status_code == 400 and "'many'" in bad_value.json()["message"]
    bad_enum = await client.get("/v1/accounts?status=eq.sleeping", headers=read_key)
    assert "active, suspended, closed" in bad_enum.json()["message"]


async def test_values_are_bound_never_spliced_into_sql(client, read_key, accounts):
    response = await client.get("/v1/accounts?email=eq.x' or '1'='1&select=email", headers=read_key)
    assert response.status_code == 200 and response.json() == []


async def test_one_account_has_an_etag_and_if_none_match_gives_304(client, read_key, accounts):
    ada = accounts[0]
    response = await client.get(f"/v1/accounts/{ada['id']}", headers=read_key)
    assert response.json()["email"] == "ada@example.com"
    assert response.headers["etag"] == '"1"'
    again = await client.get(f"/v1/accounts/{ada['id']}", headers=read_key | {"If-None-Match": '"1"'})
    assert again.status_code == 304 and again.content == b""
    missing = await client.get("/v1/accounts/999999", headers=read_key)
    assert missing.status_code == 404 and "999999" in missing.json()["message"]
