"""Eight writers at once, over real HTTP and through the notebook facade: nothing lost, nothing negative,
one audit row per accepted change, and every refusal a clear 409/412 or toolkit error."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pandas as pd

import toolkit
from tests.integration.http.conftest import make_key
from toolkit.errors import Conflict, ValidationFailed

SECONDS = float(os.environ.get("QUEACCOUNT_RELIABILITY_SECONDS", "12"))
ACCOUNTS = 4


class Tally:
    """What the writers saw: accepted changes, refusals by kind, and anything unexpected."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.unexpected: list[str] = []

    def add(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n

    def oops(self, what: str) -> None:
        with self.lock:
            self.unexpected.append(what)


def run_until(deadline: float, tally: Tally, step: Callable[[random.Random], None], seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        try:
            step(rng)
        except Exception as error:  # anything a step did not expect is a failure of the promise
            tally.oops(f"{type(error).__name__}: {error}")


def http_poster(
    base: str, headers: dict[str, str], ids: list[int], tally: Tally
) -> Callable[[random.Random], None]:
    client = httpx.Client(base_url=base, headers=headers, timeout=30)

    def step(rng: random.Random) -> None:
        deposit = rng.random() < 0.5
        amount = Decimal(rng.randint(1, 8000)) / 100
        body = {
            "account_id": rng.choice(ids),
            "kind": "deposit" if deposit else "withdrawal",
            "amount": str(amount if deposit else -amount),
        }
        response = client.post("/v1/transactions", json=body)
        if response.status_code == 201:
            tally.add("http post accepted")
        elif response.status_code == 409 and "below zero" in response.text:
            tally.add("http post refused: overdraft (409)")
        else:
            tally.oops(f"POST /v1/transactions {response.status_code}: {response.text[:200]}")

    return step


def http_patcher(
    base: str, headers: dict[str, str], ids: list[int], tally: Tally
) -> Callable[[random.Random], None]:
    client = httpx.Client(base_url=base, headers=headers, timeout=30)

    def step(rng: random.Random) -> None:
        account_id = rng.choice(ids)
        etag = client.get(f"/v1/accounts/{account_id}").headers["etag"]
        response = client.patch(
            f"/v1/accounts/{account_id}",
            json={"full_name": f"http {rng.random():.6f}"},
            headers={"If-Match": etag},
        )
        if response.status_code in (200, 204):
            tally.add("http patch accepted")
        elif response.status_code == 412:
            tally.add("http patch refused: stale version (412)")
        else:
            tally.oops(f"PATCH {response.status_code}: {response.text[:200]}")

    return step


def notebook_poster(qa: Any, ids: list[int], tally: Tally) -> Callable[[random.Random], None]:
    def step(rng: random.Random) -> None:
        frame = pd.DataFrame(
            {
                "account_id": [rng.choice(ids) for _ in range(3)],
                "kind": ["deposit", "withdrawal", "fee"],
                "amount": [str(rng.randint(1, 5000) / 100), str(-rng.randint(1, 9000) / 100), "-0.10"],
            }
        )
        try:
            report = qa.transactions.post_frame(frame)
            tally.add("notebook post accepted", report.inserted)
        except ValidationFailed as error:
            if "overdraft" not in str(error):
                raise
            tally.add("notebook post_frame refused: overdraft")

    return step


def notebook_editor(qa: Any, ids: list[int], tally: Tally) -> Callable[[random.Random], None]:
    def step(rng: random.Random) -> None:
        frame = qa.accounts.frame(id=ids)
        frame["full_name"] = [f"frame {rng.random():.6f}" for _ in ids]
        plan = qa.accounts.diff(frame)
        try:
            report = plan.apply(skip_conflicts=rng.random() < 0.5)
            tally.add("frame rows updated", report.updated)
            tally.add("frame rows skipped as conflicts", report.skipped_conflicts)
        except Conflict:
            tally.add("frame save refused: conflict")

    return step


def record(test: str, summary: dict[str, Any]) -> None:
    """Print the figures, and append them to $QUEACCOUNT_RELIABILITY_REPORT when set (for the README)."""
    print(json.dumps(summary))
    if os.environ.get("QUEACCOUNT_RELIABILITY_REPORT"):
        with open(os.environ["QUEACCOUNT_RELIABILITY_REPORT"], "a") as out:
            out.write(json.dumps({"test": test, **summary}) + "\n")


async def test_concurrent_writers_lose_nothing(server, container, database_url):
    secret = await make_key(container, "load", "write")
    headers = {"Authorization": f"Bearer {secret}"}
    kits = [toolkit.connect(database_url, actor=f"notebook-{i}", progress=False) for i in range(4)]
    try:
        seed = kits[0]
        report = seed.accounts.insert_frame(
            pd.DataFrame(
                {
                    "email": [f"load{i}@example.com" for i in range(ACCOUNTS)],
                    "full_name": "Load",
                    "country": "DE",
                }
            )
        )
        ids = report.ids
        seed.transactions.post_frame(pd.DataFrame({"account_id": ids, "kind": "deposit", "amount": "100.00"}))
        tally = Tally()
        steps = [
            # postings hit three of the accounts; PATCHes and frame edits hit all four (so edits of the
            # fourth can get through while the others keep moving)
            *(http_poster(server.base, headers, ids[:3], tally) for _ in range(3)),
            http_patcher(server.base, headers, ids, tally),
            notebook_poster(kits[0], ids[:3], tally),
            notebook_poster(kits[1], ids[:3], tally),
            notebook_editor(kits[2], ids, tally),
            notebook_editor(kits[3], ids, tally),
        ]
        deadline = time.monotonic() + SECONDS
        threads = [
            threading.Thread(target=run_until, args=(deadline, tally, s, n)) for n, s in enumerate(steps)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 120)
        assert not any(t.is_alive() for t in threads), "a writer hung"
        elapsed = time.monotonic() - started

        assert sorted(set(tally.unexpected)) == []
        counts = tally.counts
        ledger = seed.sql(
            "select account_id, sum(amount) as total, count(*) as n from transactions group by 1"
        )
        balances = seed.accounts.frame(id=ids).set_index("id")["balance"]
        for row in ledger.itertuples():
            assert balances[row.account_id] == row.total >= 0
        posted = int(ledger["n"].sum())
        assert posted == ACCOUNTS + counts["http post accepted"] + counts["notebook post accepted"]
        audit = seed.sql("select action, count(*) as n from audit_log where entity <> 'api_key' group by 1")
        by_action = dict(zip(audit["action"], audit["n"], strict=True))
        assert by_action["post"] == posted
        accepted_updates = counts["http patch accepted"] + counts["frame rows updated"]
        assert by_action.get("update", 0) == accepted_updates
        assert (
            counts["http post accepted"] > 0 and counts["notebook post accepted"] > 0 and accepted_updates > 0
        )
        summary = {
            "writers": len(steps),
            "seconds": round(elapsed, 1),
            "counts": dict(counts),
            "5xx": 0,
            "unexpected": len(tally.unexpected),
        }
        record("concurrency", summary)
    finally:
        for kit in kits:
            kit.close()
