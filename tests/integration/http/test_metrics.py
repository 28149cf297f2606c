from __future__ import annotations

import csv
import io

import psycopg

from tests.conftest import libpq


def backdate_signups(database_url, days: dict[str, str]) -> None:
    """Set created_at by email (the API never lets clients choose it)."""
    with psycopg.connect(libpq(database_url)) as conn:
        for email, day in days.items():
            conn.execute("update accounts set created_at = %s where email = %s", (day, email))


async def test_account_metrics_count_and_total_per_group_with_filters(client, read_key, accounts):
    response = await client.get("/v1/metrics/accounts?group_by=country&status=neq.closed", headers=read_key)
    assert response.json() == [
        {"country": "DE", "count": 2, "total_balance": "0.00"},
        {"country": "FR", "count": 1, "total_balance": "0.00"},
        {"country": "GB", "count": 1, "total_balance": "0.00"},
    ]
    bad = await client.get("/v1/metrics/accounts?group_by=shoe_size", headers=read_key)
    assert bad.status_code == 400 and bad.json()["message"].startswith("group_by=shoe_size: ")
    assert "nothing was written" not in bad.json()["message"]


async def test_a_total_over_no_accounts_is_money_too(client, read_key, accounts):
    none = await client.get("/v1/metrics/accounts?country=eq.JP", headers=read_key)
    assert none.json() == [{"count": 0, "total_balance": "0.00"}]


async def test_signups_per_day_show_empty_days_as_zero(client, read_key, accounts, database_url):
    backdate_signups(
        database_url,
        {
            "ada@example.com": "2025-03-01T10:00Z",
            "bob@example.com": "2025-03-01T23:00Z",
            "cy@example.com": "2025-03-03T00:30Z",
        },
    )
    response = await client.get(
        "/v1/metrics/signups?bucket=day&from=2025-03-01&to=2025-03-04", headers=read_key
    )
    assert response.json() == [
        {"bucket": "2025-03-01T00:00:00Z", "signups": 2},
        {"bucket": "2025-03-02T00:00:00Z", "signups": 0},
        {"bucket": "2025-03-03T00:00:00Z", "signups": 1},
        {"bucket": "2025-03-04T00:00:00Z", "signups": 0},
    ]
    as_csv = await client.get(
        "/v1/metrics/signups?bucket=month&from=2025-03-01&to=2025-03-31",
        headers=read_key | {"Accept": "text/csv"},
    )
    assert list(csv.reader(io.StringIO(as_csv.text))) == [
        ["bucket", "signups"],
        ["2025-03-01T00:00:00Z", "3"],
    ]
    bad = await client.get("/v1/metrics/signups?bucket=fortnight", headers=read_key)
    assert bad.status_code == 400
    assert bad.json()["message"] == "bucket=fortnight: not one of hour, day, week, month"


async def test_transaction_metrics_per_bucket_and_kind(client, read_key, write_key, accounts):
    ada = accounts[0]["id"]
    await client.post(
        "/v1/transactions",
        headers=write_key,
        json=[
            {"account_id": ada, "kind": "deposit", "amount": "50", "occurred_at": "2025-05-01T09:00:00Z"},
            {"account_id": ada, "kind": "deposit", "amount": "25", "occurred_at": "2025-05-01T10:00:00Z"},
            {"account_id": ada, "kind": "fee", "amount": "-5", "occurred_at": "2025-05-02T10:00:00Z"},
        ],
    )
    response = await client.get(
        "/v1/metrics/transactions?bucket=day&group_by=kind&from=2025-05-01&to=2025-05-02", headers=read_key
    )
    rows = {(r["bucket"][:10], r["kind"]): (r["count"], r["total"]) for r in response.json()}
    assert len(rows) == 2 * 5
    assert rows[("2025-05-01", "deposit")] == (2, "75.00")
    assert rows[("2025-05-02", "fee")] == (1, "-5.00")
    assert rows[("2025-05-02", "deposit")] == (0, "0.00")


async def test_a_parameter_a_metrics_route_does_not_take_is_refused_not_ignored(client, read_key):
    misspelt = await client.get("/v1/metrics/transactions?bucket=month&by_kind=true", headers=read_key)
    assert misspelt.status_code == 400
    assert misspelt.json()["message"] == "/v1/metrics/transactions takes no parameter 'by_kind'"
    assert misspelt.json()["hint"].startswith(
        "its parameters: bucket, group_by, from, to, tz, and filters on id,"
    )
    typo = await client.get("/v1/metrics/signups?bucket=month&form=2025-01-01", headers=read_key)
    assert typo.status_code == 400 and "'form'" in typo.json()["message"]


async def test_the_openapi_document_lists_every_parameter_the_metrics_routes_take(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    def names(path: str) -> list[str]:
        return [p["name"] for p in paths[path]["get"].get("parameters", [])]

    assert names("/v1/metrics/signups")[:4] == ["bucket", "from", "to", "tz"]
    assert names("/v1/metrics/transactions")[:5] == ["bucket", "group_by", "from", "to", "tz"]
    assert names("/v1/metrics/accounts")[:3] == ["group_by", "limit", "offset"]
    # every metric documents the read filters of the rows it counts
    assert {"country", "plan"} <= set(names("/v1/metrics/accounts")) & set(names("/v1/metrics/signups"))
    assert {"account_id", "kind"} <= set(names("/v1/metrics/transactions"))


async def capped_client(settings, page: int):
    from dataclasses import replace

    from litestar.testing import AsyncTestClient

    from sidecar import create_app

    return AsyncTestClient(app=create_app(replace(settings, max_page_size=page)))


async def test_account_metrics_honour_the_page_cap_and_their_paging_parameters(settings, read_key, accounts):
    async with await capped_client(settings, 2) as capped:
        every_id = await capped.get("/v1/metrics/accounts?group_by=id", headers=read_key)
        asked_more = await capped.get("/v1/metrics/accounts?group_by=id&limit=100", headers=read_key)
        second = await capped.get("/v1/metrics/accounts?group_by=id&limit=1&offset=1", headers=read_key)
        page_two = await capped.get(
            "/v1/metrics/accounts?group_by=id&offset=2", headers=read_key | {"Accept": "text/csv"}
        )
    ids = [a["id"] for a in accounts]
    assert [row["id"] for row in every_id.json()] == ids[:2]
    assert 'rel="next"' in every_id.headers["link"] and "offset=2" in every_id.headers["link"]
    assert len(asked_more.json()) == 2 and asked_more.headers["x-limit-capped"] == "2"
    assert [row["id"] for row in second.json()] == [ids[1]]
    assert [line.split(",")[0] for line in page_two.text.splitlines()[1:]] == [str(i) for i in ids[2:4]]


async def test_aggregate_routes_refuse_paging_parameters_they_do_not_honour(client, read_key, accounts):
    for url in (
        "/v1/metrics/accounts?group_by=plan&select=count",
        "/v1/metrics/accounts?group_by=plan&order=count.desc",
        "/v1/metrics/signups?limit=1",
        "/v1/metrics/transactions?offset=1",
    ):
        response = await client.get(url, headers=read_key)
        assert response.status_code == 400, (url, response.text)
        assert response.json()["message"]


async def test_a_series_longer_than_the_page_cap_is_refused_with_a_hint(settings, read_key, accounts):
    async with await capped_client(settings, 3) as capped:
        five_days = await capped.get(
            "/v1/metrics/signups?bucket=day&from=2025-03-01&to=2025-03-05", headers=read_key
        )
        three_days = await capped.get(
            "/v1/metrics/signups?bucket=day&from=2025-03-01&to=2025-03-03", headers=read_key
        )
        weeks = await capped.get(
            "/v1/metrics/transactions?bucket=day&from=2025-03-01&to=2025-03-05", headers=read_key
        )
    assert five_days.status_code == 400
    assert five_days.json()["message"] == "bucket: more than 3 points: use a larger bucket or a shorter range"
    assert weeks.status_code == 400
    assert three_days.status_code == 200 and len(three_days.json()) == 3
