"""/v1/metrics/transactions answers the same from the ledger's rollup (unfiltered) as from the ledger
itself (a filter the rollup does not carry): random postings over HTTP across DST nights, zones with :30 and
:45 offsets, every bucket, per kind or not."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from tests.integration.test_ledger_rollup import KINDS, WINDOWS

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu"]


@pytest.fixture
async def postings(client, write_key, accounts) -> int:
    rng = random.Random(3)
    ids = [a["id"] for a in accounts[:4]]
    rows = [
        {"account_id": i, "kind": "deposit", "amount": "100000.00", "occurred_at": "2025-03-27T00:00:00Z"}
        for i in ids
    ]
    for _ in range(300):
        first, last = rng.choice(WINDOWS)
        moment = first + timedelta(seconds=rng.randrange(int((last - first).total_seconds())))
        kind = rng.choice(KINDS)
        sign = "-" if kind in ("withdrawal", "fee") or (kind == "adjustment" and rng.random() < 0.5) else ""
        cents = rng.randrange(1, 10_000_00)
        rows.append(
            {
                "account_id": rng.choice(ids),
                "kind": kind,
                "amount": f"{sign}{cents // 100}.{cents % 100:02d}",
                "occurred_at": moment.isoformat(),
            }
        )
    for part in (rows[:200], rows[200:]):  # two posting statements, two sets of deltas
        response = await client.post("/v1/transactions", headers=write_key, json=part)
        assert response.status_code == 201, response.text
    return len(rows)


@pytest.mark.parametrize("tz", ZONES)
async def test_the_rollup_and_the_ledger_answer_alike_over_http(client, read_key, postings, tz):
    window = {"from": "2025-03-27", "to": "2025-11-03", "tz": tz}
    for bucket in ("hour", "day", "week", "month"):
        span = {"from": "2025-10-24", "to": "2025-11-03"} if bucket == "hour" else {}
        for group in ({}, {"group_by": "kind"}, {"group_by": "kind", "kind": "in.(fee,refund)"}):
            params = window | span | group | {"bucket": bucket}
            rolled = await client.get("/v1/metrics/transactions", params=params, headers=read_key)
            plain = await client.get(
                "/v1/metrics/transactions", params=params | {"account_id": "gte.1"}, headers=read_key
            )
            assert rolled.status_code == plain.status_code == 200, rolled.text
            assert rolled.json() == plain.json(), (bucket, group)
            if bucket == "month" and "kind" not in group:
                assert sum(r["count"] for r in rolled.json()) == postings
