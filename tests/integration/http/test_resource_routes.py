"""Each resource has the HTTP routes its declaration allows, and no others."""

from __future__ import annotations


async def test_http_has_only_the_routes_the_declarations_allow(client, read_key, write_key, accounts):
    assert (await client.post("/v1/audit", json={}, headers=write_key)).status_code == 405
    assert (await client.patch("/v1/transactions/1", json={}, headers=write_key)).status_code == 405
    refused = await client.delete(f"/v1/accounts/{accounts[0]['id']}", headers=write_key)
    assert refused.status_code == 405 and refused.json()["hint"].startswith("POST /v1/accounts/")
    posted = await client.post(
        "/v1/transactions",
        json={"account_id": accounts[0]["id"], "kind": "deposit", "amount": "5.00"},
        headers=write_key,
    )
    one = await client.get(posted.headers["location"], headers=read_key)
    assert one.status_code == 200 and one.json()["amount"] == "5.00" and "etag" not in one.headers
    entry = await client.get("/v1/audit?entity=eq.transaction&select=id", headers=read_key)
    [row] = entry.json()
    assert (await client.get(f"/v1/audit/{row['id']}", headers=read_key)).json()["action"] == "post"


async def test_a_patch_by_filter_takes_id_eq_alone_not_a_tree(client, write_key, accounts):
    first = accounts[0]["id"]
    tree = await client.patch(
        f"/v1/accounts?id=eq.{first}&or=(plan.eq.free,plan.eq.pro)",
        json={"plan": "business"},
        headers=write_key,
    )
    assert tree.status_code == 400 and "exactly one filter, id=eq.N" in tree.json()["message"]
    assert (await client.get(f"/v1/accounts/{first}", headers=write_key)).json()["plan"] == "pro"
