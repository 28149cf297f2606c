"""A PATCH naming a read-only column is refused saying so, and why; an unknown field stays unknown."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ({"balance": "1000000.00"}, "balance is read-only: balances move only by posting transactions"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at is read-only"),
        ({"id": 99, "plan": "pro"}, "id is read-only"),
        ({"balance": None, "updated_at": None}, "balance, updated_at are read-only"),
    ],
)
async def test_a_patch_of_a_read_only_column_says_why_and_writes_nothing(
    client, write_key, read_key, accounts, body, refused
):
    ada = accounts[0]
    response = await client.patch(f"/v1/accounts/{ada['id']}", json=body, headers=write_key)
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(refused)
    assert response.json()["code"] == "428C9"
    after = await client.get(f"/v1/accounts/{ada['id']}", headers=read_key)
    assert after.json() == ada


async def test_the_postgrest_form_refuses_it_alike_and_a_misspelt_field_is_still_unknown(
    client, write_key, accounts
):
    ada = accounts[0]["id"]
    by_filter = await client.patch(f"/v1/accounts?id=eq.{ada}", json={"balance": "1.00"}, headers=write_key)
    assert by_filter.status_code == 422 and "balance is read-only" in by_filter.text
    misspelt = await client.patch(f"/v1/accounts/{ada}", json={"balnce": "1.00"}, headers=write_key)
    assert misspelt.status_code == 400 and "balnce" in misspelt.text


async def test_the_version_in_a_body_still_makes_the_change_conditional(client, write_key, accounts):
    ada = accounts[0]
    stale = {"plan": "business", "version": ada["version"] - 1}
    response = await client.patch(f"/v1/accounts/{ada['id']}", json=stale, headers=write_key)
    assert response.status_code == 409, response.text
