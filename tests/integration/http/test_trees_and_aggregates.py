"""PostgREST's or=/and= trees, aggregates in select, and Prefer: count=planned|estimated, on real rows."""

from __future__ import annotations

from typing import Any

import pytest


async def emails(client: Any, headers: dict[str, str], query: str) -> list[str]:
    response = await client.get(f"/v1/accounts?select=email&order=id&{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [row["email"].split("@")[0] for row in response.json()]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("or=(plan.eq.pro,country.eq.FR)", ["ada", "dee"]),
        ("or=(plan.eq.business,and(country.eq.DE,plan.eq.free))", ["bob", "cy"]),
        ("not.or=(country.eq.DE,country.eq.GB)", ["dee", "eve"]),
        ("or=(country.not.in.(DE,GB,US),email.like.ada*)", ["ada", "dee"]),
        ("and=(country.eq.DE,not.or(plan.eq.business))", ["bob"]),
        ("country=eq.DE&or=(plan.eq.free,plan.eq.pro)", ["bob"]),
        (
            'or=(full_name.eq."Dee Dee",full_name.eq."Lovelace, Ada",full_name.eq."Ada Lovelace")',
            ["ada", "dee"],
        ),
    ],
)
async def test_trees_select_the_rows_postgrest_would(client, read_key, accounts, query, expected):
    assert await emails(client, read_key, query) == expected


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("or=(plan.eq.gold)", ["'gold'", "free", "pro", "business"]),
        ("or=(plan.eq.pro,and(status.in.(active,gone)))", ["'gone'", "active", "suspended", "closed"]),
        ("or=(plan.eq.pro", ["or=(member,member,...)"]),
        ("or=(planet.eq.pro)", ["planet"]),
        ("or=(plan)", ["column.op.value"]),
        ("or=()", ["column.op.value"]),
    ],
)
async def test_a_bad_tree_is_a_400_that_says_what_is_wrong(client, read_key, accounts, query, names):
    response = await client.get(f"/v1/accounts?{query}", headers=read_key)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert all(name in message for name in names), message


async def test_aggregates_group_by_the_other_columns(client, read_key, write_key, accounts):
    for account, amount in [(accounts[0], "10.00"), (accounts[1], "5.50"), (accounts[2], "4.50")]:
        deposit = {"account_id": account["id"], "kind": "deposit", "amount": amount}
        assert (await client.post("/v1/transactions", json=deposit, headers=write_key)).status_code == 201
    by_plan = await client.get("/v1/accounts?select=plan,count(),total:balance.sum()", headers=read_key)
    assert by_plan.status_code == 200, by_plan.text
    assert {r["plan"]: (r["count"], r["total"]) for r in by_plan.json()} == {
        "free": (3, "5.50"),
        "pro": (1, "10.00"),
        "business": (1, "4.50"),
    }
    whole = await client.get("/v1/accounts?select=balance.max(),balance.avg(),id.count()", headers=read_key)
    [row] = whole.json()
    assert row["max"] == "10.00" and row["count"] == 5 and row["avg"].startswith("4.0")
    german = "/v1/accounts?select=country,n:count()&country=eq.DE&order=country.desc"
    assert (await client.get(german, headers=read_key)).json() == [{"country": "DE", "n": 2}]
    csv = await client.get("/v1/accounts?select=status,count()", headers=read_key | {"Accept": "text/csv"})
    assert csv.text.splitlines() == ["status,count", "active,4", "closed,1"]


@pytest.mark.parametrize(
    ("select", "words"),
    [
        ("email.sum()", ["select=email.sum()", "sum needs a number", "email is str"]),
        ("status.avg()", ["avg needs a number"]),
        ("plan.median()", ["'median'"]),
        ("sum()", ["'sum'"]),
        ("plan,count()&order=email", ["order=email", "grouped here: plan"]),
    ],
)
async def test_an_unsuitable_aggregate_is_a_400_naming_the_parameter(
    client, read_key, accounts, select, words
):
    response = await client.get(f"/v1/accounts?select={select}", headers=read_key)
    assert response.status_code == 400, response.text
    error = response.json()
    assert all(word in f"{error['message']} {error['hint']}" for word in words), error


async def test_planned_and_estimated_counts_fill_content_range(client, read_key, accounts):
    for kind in ("exact", "planned", "estimated"):
        response = await client.get("/v1/accounts?limit=2", headers=read_key | {"Prefer": f"count={kind}"})
        first, _, total = response.headers["content-range"].partition("/")
        assert first == "0-1" and total.isdigit(), (kind, response.headers["content-range"])
        if kind != "planned":
            assert int(total) == 5
    grouped = await client.get(
        "/v1/accounts?select=plan,count()", headers=read_key | {"Prefer": "count=exact"}
    )
    assert grouped.headers["content-range"] == "0-2/3"


async def test_a_column_selected_twice_or_renamed_is_answered(client, read_key, accounts):
    for select in ("id,id", "email,e:email", "plan,plan,count()"):
        response = await client.get(f"/v1/accounts?select={select}&limit=1", headers=read_key)
        assert response.status_code == 200, (select, response.text)
    renamed = await client.get("/v1/accounts?select=email,e:email&limit=1&order=id", headers=read_key)
    assert renamed.json() == [{"email": "ada@example.com", "e": "ada@example.com"}]
