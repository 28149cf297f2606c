"""The URL examples of PostgREST 12's documentation (docs.postgrest.org, "Tables and Views" and "Aggregate
Functions"), their `people`/`orders` columns mapped onto accounts, answered on the five known accounts."""

from __future__ import annotations

import pytest

# documented example -> the same request here -> the accounts (by email's first word) or the rows it answers
EXAMPLES = [
    ("people?age=gte.18&student=is.true", "country=eq.DE&status=neq.closed", ["bob", "cy"]),
    ("people?or=(age.lt.18,age.gt.21)", "or=(country.lt.DE,country.gt.GB)", ["eve"]),
    (
        "people?grade=gte.90&student=is.true&or=(age.eq.14,not.and(age.gte.11,age.lte.17))",
        "status=eq.active&or=(plan.eq.pro,not.and(country.gte.DE,country.lte.FR))",
        ["ada"],
    ),
    ("people?age=not.eq.21", "country=not.eq.DE", ["ada", "dee", "eve"]),
    ("people?last_name=like.O*", "full_name=like.C*", ["cy"]),
    ("people?id=in.(1,2,3)", "country=in.(FR,US)", ["dee", "eve"]),
    ('people?last_name=in.("Hall, Jr",O\'Connor)', 'full_name=in.("Dee Dee",Nobody)', ["dee"]),
    ("people?order=age.desc,height.asc", "order=country.desc,email.asc", ["eve", "ada", "dee", "bob", "cy"]),
    ("people?limit=15&offset=30", "order=id&limit=2&offset=1", ["bob", "cy"]),
]

AGGREGATES = [
    ("orders?select=amount.sum()", "select=balance.sum()", [{"sum": "0.00"}]),
    ("orders?select=total_amount:amount.sum()", "select=total:balance.sum()", [{"total": "0.00"}]),
    (
        "orders?select=amount.sum(),order_date",
        "select=balance.max(),status&order=status",
        [{"max": "0.00", "status": "active"}, {"max": "0.00", "status": "closed"}],
    ),
    ("orders?select=count()", "select=count()", [{"count": 5}]),
    ("people?select=fullName:full_name", "select=name:full_name&country=eq.FR", [{"name": "Dee Dee"}]),
]


@pytest.mark.parametrize(("documented", "ours", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
async def test_documented_filters_answer_as_documented(
    client, read_key, accounts, documented, ours, expected
):
    order = "" if "order=" in ours else "&order=id"
    response = await client.get(f"/v1/accounts?select=email&{ours}{order}", headers=read_key)
    assert response.status_code == 200, response.text
    assert [row["email"].split("@")[0] for row in response.json()] == expected


@pytest.mark.parametrize(("documented", "ours", "expected"), AGGREGATES, ids=[a[0] for a in AGGREGATES])
async def test_documented_selects_answer_as_documented(
    client, read_key, accounts, documented, ours, expected
):
    response = await client.get(f"/v1/accounts?{ours}", headers=read_key)
    assert response.status_code == 200, response.text
    assert response.json() == expected
