"""Polling a list costs a 304 until a committed write could change it; then the new rows and a new ETag."""

from __future__ import annotations

from typing import Any

LISTS = ["/v1/accounts?order=id.asc", "/v1/transactions?order=id.desc", "/v1/audit?select=id,action"]


async def poll(client: Any, url: str, headers: dict[str, str]) -> tuple[str, Any]:
    """GET, then the same GET with its ETag: the second must be a 304 with no body."""
    first = await client.get(url, headers=headers)
    assert first.status_code == 200, first.text
    tag = first.headers["etag"]
    assert tag.startswith('W/"') and first.headers["cache-control"] == "private, max-age=0"
    again = await client.get(url, headers=headers | {"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    return tag, first.json()


async def changed(client: Any, url: str, headers: dict[str, str], old: str) -> Any:
    """After a write: the old ETag gets the new rows with a new ETag."""
    fresh = await client.get(url, headers=headers | {"If-None-Match": old})
    assert fresh.status_code == 200 and fresh.headers["etag"] != old
    return fresh.json()


async def test_every_list_revalidates_to_304_and_changes_after_an_http_post(
    client, read_key, write_key, accounts
):
    tags = {url: await poll(client, url, read_key) for url in LISTS}
    posted = await client.post(
        "/v1/transactions",
        json={"account_id": accounts[0]["id"], "kind": "deposit", "amount": "7.00"},
        headers=write_key,
    )
    assert posted.status_code == 201
    for url, (tag, rows) in tags.items():
        assert await changed(client, url, read_key, tag) != rows


async def test_patch_and_close_change_the_accounts_list(client, read_key, write_key, accounts):
    url = "/v1/accounts?select=id,full_name,status&order=id.asc"
    tag, _ = await poll(client, url, read_key)
    target = accounts[1]
    patch = {"full_name": "Bob Rebuilt", "version": target["version"]}
    assert (await client.patch(f"/v1/accounts/{target['id']}", json=patch, headers=write_key)).is_success
    rows = await changed(client, url, read_key, tag)
    assert {"id": target["id"], "full_name": "Bob Rebuilt", "status": target["status"]} in rows
    tag, _ = await poll(client, url, read_key)
    assert (await client.post(f"/v1/accounts/{target['id']}/close", headers=write_key)).is_success
    rows = await changed(client, url, read_key, tag)
    assert next(r for r in rows if r["id"] == target["id"])["status"] == "closed"


async def test_a_notebook_write_changes_the_etag_of_an_empty_list(client, read_key, accounts, qa):
    url = "/v1/accounts?country=eq.NO"
    tag, rows = await poll(client, url, read_key)
    assert rows == []
    qa.accounts.create(email="nora@example.com", full_name="Nora", country="NO")
    assert [r["email"] for r in await changed(client, url, read_key, tag)] == ["nora@example.com"]


async def test_the_etag_differs_by_representation_and_by_query(client, read_key, accounts):
    json_tag, _ = await poll(client, "/v1/accounts", read_key)
    csv = await client.get("/v1/accounts", headers=read_key | {"Accept": "text/csv"})
    other = await client.get("/v1/accounts?plan=eq.pro", headers=read_key)
    assert len({json_tag, csv.headers["etag"], other.headers["etag"]}) == 3
    stale = await client.get("/v1/accounts", headers=read_key | {"If-None-Match": csv.headers["etag"]})
    assert stale.status_code == 200


async def test_one_row_carries_cache_control(client, read_key, accounts):
    one = await client.get(f"/v1/accounts/{accounts[0]['id']}", headers=read_key)
    assert one.headers["cache-control"] == "private, max-age=0" and one.headers["etag"] == '"1"'


METRICS = [
    "/v1/metrics/accounts?group_by=plan",
    "/v1/metrics/signups?bucket=day&tz=Europe/Berlin",
    "/v1/metrics/transactions?bucket=hour&group_by=kind",
]


async def test_every_metric_revalidates_to_304_and_changes_after_a_posting(
    client, read_key, write_key, accounts
):
    tags = {url: await poll(client, url, read_key) for url in METRICS}
    posted = await client.post(
        "/v1/transactions",
        json={"account_id": accounts[1]["id"], "kind": "deposit", "amount": "12.00"},
        headers=write_key,
    )
    assert posted.status_code == 201
    fresh = {url: await changed(client, url, read_key, tag) for url, (tag, _) in tags.items()}
    plans = {row["plan"]: row["total_balance"] for row in fresh[METRICS[0]]}
    assert plans["free"] == "12.00"  # bob (free) got the deposit
    assert sum(row["count"] for row in fresh[METRICS[2]]) == sum(r["count"] for r in tags[METRICS[2]][1]) + 1


REFUSED = [
    ("/v1/accounts?shoe_size=eq.42", {}),
    ("/v1/accounts?limit=many", {}),
    ("/v1/accounts?order=id", {"Accept": "application/xml"}),
    ("/v1/metrics/accounts?group_by=shoe_size", {}),
    ("/v1/metrics/signups?bucket=year", {}),
    ("/v1/metrics/transactions?bucket=day", {"Accept": "application/xml"}),
]


async def test_if_none_match_star_is_a_304_for_what_exists_and_never_hides_a_refusal(
    client, read_key, accounts
):
    """RFC 9110 13.2.1: preconditions are ignored when the answer without them would not be a 2xx."""
    star = read_key | {"If-None-Match": "*"}
    for url in ("/v1/accounts?order=id", f"/v1/accounts/{accounts[0]['id']}", "/v1/metrics/signups"):
        for _ in range(2):  # the second is the row shortcut's, its key now cached
            response = await client.get(url, headers=star)
            assert response.status_code == 304, (url, response.status_code)
    for url, headers in REFUSED:
        for _ in range(2):
            response = await client.get(url, headers=star | headers)
            assert response.status_code in (400, 406), (url, headers, response.status_code)
            assert response.json()["message"]
