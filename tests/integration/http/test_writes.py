from __future__ import annotations

import psycopg

from tests.conftest import libpq


def count_rows(database_url, table: str) -> int:
    with psycopg.connect(libpq(database_url)) as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


async def test_create_answers_201_with_location_and_audits_the_key_name(client, write_key, read_key):
    body = {"email": "Grace@Example.com", "full_name": "Grace Hopper", "country": "us"}
    response = await client.post("/v1/accounts", json=body, headers=write_key)
    assert response.status_code == 201 and response.content == b""
    fetched = await client.get(response.headers["location"], headers=read_key)
    assert fetched.json()["email"] == "grace@example.com" and fetched.json()["country"] == "US"
    audit = await client.get("/v1/audit?entity=eq.account&select=actor,action", headers=read_key)
    assert audit.json() == [{"actor": "writer", "action": "create"}]


async def test_a_bad_row_in_an_array_writes_nothing_and_names_row_and_field(client, write_key, database_url):
    rows = [
        {"email": "ok@example.com", "full_name": "Fine", "country": "DE"},
        {"email": "bad@example.com", "full_name": "Wrong", "country": "XX"},
    ]
    response = await client.post("/v1/accounts", json=rows, headers=write_key)
    assert response.status_code == 422
    error = response.json()
    assert "row 1" in error["details"] and "'country'" in error["details"]
    assert count_rows(database_url, "accounts") == 0


async def test_a_malformed_body_is_a_400_naming_the_field(client, write_key, database_url):
    response = await client.post(
        "/v1/accounts",
        json={"email": "a@example.com", "full_name": "A", "country": "DE", "balance": 5},
        headers=write_key,
    )
    assert response.status_code == 400 and "balance" in response.text
    wrong_type = await client.post(
        "/v1/transactions", json={"account_id": "one", "kind": "deposit", "amount": "1"}, headers=write_key
    )
    assert wrong_type.status_code == 400 and "account_id" in wrong_type.text
    assert count_rows(database_url, "accounts") == 0


async def test_patch_with_if_match_is_conditional_and_stale_is_412(client, write_key, accounts):
    ada = accounts[0]
    url = f"/v1/accounts/{ada['id']}"
    ok = await client.patch(url, json={"plan": "business"}, headers=write_key | {"If-Match": '"1"'})
    assert ok.status_code == 204 and ok.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"plan": "free"}, headers=write_key | {"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.headers["etag"] == '"2"'
    assert "current version: 2" in stale.json()["details"]


async def test_patch_postgrest_form_with_a_stale_version_field_is_409(client, write_key, read_key, accounts):
    bob = accounts[1]
    changed = await client.patch(
        f"/v1/accounts?id=eq.{bob['id']}",
        json={"full_name": "Robert", "version": 1},
        headers=write_key | {"Prefer": "return=representation"},
    )
    assert changed.status_code == 200 and changed.json()[0]["full_name"] == "Robert"
    stale = await client.patch(
        f"/v1/accounts?id=eq.{bob['id']}", json={"full_name": "Bobby", "version": 1}, headers=write_key
    )
    assert stale.status_code == 409 and stale.json()["details"] == "current version: 2"
    now = await client.get(f"/v1/accounts/{bob['id']}", headers=read_key)
    assert now.json()["full_name"] == "Robert"
    many = await client.patch("/v1/accounts?country=eq.DE", json={"plan": "pro"}, headers=write_key)
    assert many.status_code == 400 and "id=eq.N" in many.json()["message"]


async def test_read_only_fields_and_reopening_are_refused(client, write_key, accounts):
    eve = accounts[4]
    reopen = await client.patch(f"/v1/accounts/{eve['id']}", json={"status": "active"}, headers=write_key)
    assert reopen.status_code == 409 and "reopen" in reopen.json()["message"]


async def test_a_funded_accounts_currency_change_is_a_422_naming_the_field(
    client, write_key, read_key, accounts
):
    ada = accounts[0]
    await client.post(
        "/v1/transactions",
        json={"account_id": ada["id"], "kind": "deposit", "amount": "10.00"},
        headers=write_key,
    )
    moved = await client.patch(f"/v1/accounts/{ada['id']}", json={"currency": "USD"}, headers=write_key)
    assert moved.status_code == 422, moved.text
    assert "currency" in moved.text and f"account {ada['id']} holds money" in moved.text
    still = await client.get(f"/v1/accounts/{ada['id']}", headers=read_key)
    assert still.json()["currency"] == ada["currency"] and still.json()["balance"] == "10.00"


async def test_delete_is_refused_and_points_to_close(client, write_key, read_key, accounts):
    response = await client.delete(f"/v1/accounts/{accounts[0]['id']}", headers=write_key)
    assert response.status_code == 405 and "close" in response.json()["hint"]
    still = await client.get(f"/v1/accounts/{accounts[0]['id']}", headers=read_key)
    assert still.status_code == 200


async def test_postings_move_balances_all_or_nothing(client, write_key, read_key, accounts, database_url):
    ada, bob = accounts[0]["id"], accounts[1]["id"]
    ok = await client.post(
        "/v1/transactions",
        json=[
            {"account_id": ada, "kind": "deposit", "amount": "100.00"},
            {"account_id": ada, "kind": "withdrawal", "amount": "-30.50"},
        ],
        headers=write_key | {"Prefer": "return=representation"},
    )
    assert ok.status_code == 201 and [t["amount"] for t in ok.json()] == ["100.00", "-30.50"]
    overdraft = await client.post(
        "/v1/transactions",
        json=[
            {"account_id": bob, "kind": "deposit", "amount": "10.00"},
            {"account_id": ada, "kind": "withdrawal", "amount": "-1000.00"},
        ],
        headers=write_key,
    )
    assert overdraft.status_code == 409 and "below zero" in overdraft.json()["message"]
    balances = await client.get(f"/v1/accounts?id=in.({ada},{bob})&select=balance&order=id", headers=read_key)
    assert balances.json() == [{"balance": "69.50"}, {"balance": "0.00"}]
    assert count_rows(database_url, "transactions") == 2
    closed = await client.post(
        "/v1/transactions",
        json={"account_id": accounts[4]["id"], "kind": "deposit", "amount": "1"},
        headers=write_key,
    )
    assert closed.status_code == 409 and "closed" in closed.json()["message"]


async def test_the_ledger_has_no_update_or_delete_routes(client, write_key):
    assert (await client.patch("/v1/transactions?id=eq.1", json={}, headers=write_key)).status_code == 405
    assert (await client.delete("/v1/transactions?id=eq.1", headers=write_key)).status_code == 405


async def test_the_audit_of_a_bulk_load_is_found_by_id_range_over_http(client, read_key, database_url):
    import pandas as pd

    import toolkit

    with toolkit.connect(database_url, actor="loader", progress=False) as qa:
        frame = pd.DataFrame(
            {"email": [f"l{i}@example.com" for i in range(3)], "full_name": "L", "country": "DE"}
        )
        ids = qa.accounts.insert_frame(frame).ids
    middle = ids[1]
    query = f"/v1/audit?entity=eq.account&entity_id=lte.{middle}&last_entity_id=gte.{middle}"
    [load] = (await client.get(query, headers=read_key)).json()
    assert (load["actor"], load["action"], load["entity_id"], load["last_entity_id"]) == (
        "loader",
        "create",
        ids[0],
        ids[2],
    )
    assert load["changes"] == {"rows": 3, "columns": ["email", "full_name", "country"]}


def counts(database_url) -> tuple[int, int, int, int]:
    """Accounts, postings, audit rows and the sum of the versions: a refused write changes none of them."""
    with psycopg.connect(libpq(database_url)) as conn:
        return conn.execute(
            "select (select count(*) from accounts), (select count(*) from transactions),"
            " (select count(*) from audit_log), (select coalesce(sum(version), 0) from accounts)"
        ).fetchone()


async def test_a_write_whose_answer_the_client_cannot_take_is_a_406_and_writes_nothing(
    client, write_key, accounts, database_url
):
    ada = accounts[0]["id"]
    back = write_key | {"Prefer": "return=representation"}
    xml = back | {"Accept": "application/xml"}
    one_object = back | {"Accept": "application/vnd.pgrst.object+json"}
    posting = {"account_id": ada, "kind": "deposit", "amount": "5.00"}
    before = counts(database_url)
    refused = [
        await client.post("/v1/transactions", json=posting, headers=xml),
        await client.post("/v1/transactions", json=[posting, posting], headers=one_object),
        await client.post("/v1/accounts", json=[], headers=one_object),
        await client.patch(f"/v1/accounts/{ada}", json={"plan": "business"}, headers=xml),
        await client.patch(f"/v1/accounts?id=eq.{ada}", json={"plan": "business"}, headers=xml),
    ]
    assert [r.status_code for r in refused] == [406] * 5, [r.text for r in refused]
    assert all(r.json()["message"] for r in refused)
    assert counts(database_url) == before
    one = await client.post("/v1/transactions", json=[posting], headers=one_object)
    assert one.status_code == 201 and one.json()["amount"] == "5.00"


async def test_a_value_of_the_wrong_type_in_an_array_is_a_400_naming_row_and_field(
    client, write_key, accounts, database_url
):
    ok = {"account_id": accounts[0]["id"], "kind": "deposit", "amount": "1.00"}
    cases = [
        ("/v1/transactions", [ok, ok | {"account_id": "one"}], "row 1", "account_id"),
        ("/v1/transactions", [ok, ok, ok | {"kind": "gift"}], "row 2", "kind"),
        ("/v1/transactions", [ok, {"kind": "deposit", "amount": "1.00"}], "row 1", "account_id"),
        ("/v1/accounts", [{"email": 5, "full_name": "Q", "country": "DE"}], "row 0", "email"),
        ("/v1/transactions", ok | {"kind": "gift"}, "", "kind"),
    ]
    before = counts(database_url)
    for path, body, row, field in cases:
        response = await client.post(path, json=body, headers=write_key)
        assert response.status_code == 400, response.text
        said = response.json()["message"] + (response.json()["details"] or "")
        assert row in said and field in said, (body, said)
    assert counts(database_url) == before
