"""post_frame(): the running balances read back from the balances the ledger's trigger moved, the database's
refusals named row by row, and concurrent posts on the same accounts."""

from __future__ import annotations

import threading
from decimal import Decimal

import pandas as pd
import pytest

from toolkit.errors import ValidationFailed


def balances(qa):
    return qa.accounts.frame().set_index("id")["balance"].to_dict()


def test_each_posting_is_audited_with_its_running_balance_in_frame_order(seeded):
    # seeded: account 1 holds 100.25, account 2 200.25
    frame = pd.DataFrame(
        {
            "account_id": [2, 1, 2, 1, 1],
            "kind": ["withdrawal", "deposit", "fee", "withdrawal", "refund"],
            "amount": ["-0.25", "10", "-50.50", "-110.25", "3.10"],
        },
        index=[10, 11, 12, 13, 14],
    )
    report = seeded.transactions.post_frame(frame)
    assert report.inserted == 5 and report.ids == sorted(report.ids)
    posted = seeded.transactions.frame(order_by="id").set_index("id").loc[report.ids]
    assert posted["account_id"].tolist() == [2, 1, 2, 1, 1]
    assert posted["amount"].tolist() == [Decimal(a) for a in frame["amount"]]
    audit = seeded.audit.frame(action="post").set_index("entity_id").loc[report.ids, "changes"].tolist()
    assert [a["balance"] for a in audit] == [
        {"old": "200.25", "new": "200.00"},
        {"old": "100.25", "new": "110.25"},
        {"old": "200.00", "new": "149.50"},
        {"old": "110.25", "new": "0.00"},
        {"old": "0.00", "new": "3.10"},
    ]
    assert audit[3] == {
        "account_id": {"old": None, "new": 1},
        "kind": {"old": None, "new": "withdrawal"},
        "amount": {"old": None, "new": "-110.25"},
        "balance": {"old": "110.25", "new": "0.00"},
    }
    assert balances(seeded)[1] == Decimal("3.10") and balances(seeded)[2] == Decimal("149.50")


def test_an_overdrawn_end_balance_is_named_by_row_and_nothing_is_written(seeded):
    before, ledger, audit = balances(seeded), len(seeded.transactions.frame()), len(seeded.audit.frame())
    frame = pd.DataFrame(
        {
            "account_id": [3, 1, 1, 1],
            "kind": ["deposit", "withdrawal", "withdrawal", "fee"],
            "amount": ["5", "-100", "-0.50", "-1"],
        },
        index=["a", "b", "c", "d"],
    )
    with pytest.raises(ValidationFailed) as caught:
        seeded.transactions.post_frame(frame)
    assert [(i.row, i.field, i.reason) for i in caught.value.issues] == [
        ("c", "amount", "would take account 1's balance to -0.25 (overdraft)"),
        ("d", "amount", "would take account 1's balance to -1.25 (overdraft)"),
    ]
    assert balances(seeded) == before
    assert (len(seeded.transactions.frame()), len(seeded.audit.frame())) == (ledger, audit)


def test_concurrent_post_frames_on_the_same_accounts_lose_nothing(seeded, database_url):
    import toolkit

    ids = [1, 2, 3, 4, 5] * 200
    frames = [
        pd.DataFrame({"account_id": ids, "kind": "deposit", "amount": "1.01"}),
        pd.DataFrame({"account_id": ids[::-1], "kind": "fee", "amount": "-0.01"}),
        pd.DataFrame({"account_id": ids[1:] + ids[:1], "kind": "deposit", "amount": "0.10"}),
    ]
    before, errors, reports = balances(seeded), [], []

    def post(frame):
        try:
            with toolkit.connect(database_url, actor="test:analyst", progress=False) as kit:
                for _ in range(3):
                    reports.append(kit.transactions.post_frame(frame))
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=post, args=(f,)) for f in frames]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(reports) == 9
    after = balances(seeded)
    # each account: 200 postings of each frame (1.01, -0.01, 0.10), each frame posted three times
    assert {i: after[i] - before[i] for i in after} == {i: Decimal("660.00") for i in after}
    ledger = seeded.transactions.frame()
    assert ledger.groupby("account_id")["amount"].sum().to_dict() == after
    assert len(seeded.audit.frame(action="post")) == len(ledger)


def advisory_waiters(conn, mode):
    """Transactions waiting for the posting lock in `mode` (ExclusiveLock or ShareLock)."""
    from toolkit.mixins.queries import POSTING_LOCK_KEY

    return conn.execute(
        "select count(*) from pg_locks where locktype = 'advisory' and not granted and mode = %s"
        " and classid = %s and objid = %s and objsubid = 1",
        (mode, POSTING_LOCK_KEY >> 32, POSTING_LOCK_KEY & 0xFFFFFFFF),
    ).fetchone()[0]


def wait_for(condition, seconds=20.0):
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_bulk_post_frame_holds_the_posting_lock_alone_and_small_ones_share_it(
    seeded, database_url, monkeypatch
):
    import psycopg

    import toolkit
    from tests.conftest import libpq
    from toolkit.mixins.queries import POSTING_LOCK_KEY
    from toolkit.services import transaction_frames

    monkeypatch.setattr(transaction_frames, "BULK_ROWS", 10)
    bulk = pd.DataFrame({"account_id": [5, 4, 3, 2, 1] * 4, "kind": "deposit", "amount": "1.00"})
    small = pd.DataFrame({"account_id": [2, 1], "kind": "deposit", "amount": "0.50"})
    before, results = balances(seeded), {}
    with psycopg.connect(libpq(database_url), autocommit=True) as admin:
        # Someone posting several accounts holds the posting lock shared (as post_many does).
        admin.execute("select pg_advisory_lock_shared(%s)", (POSTING_LOCK_KEY,))

        def post(name, frame):
            with toolkit.connect(database_url, actor="test:analyst", progress=False) as kit:
                results[name] = kit.transactions.post_frame(frame)

        waiting = threading.Thread(target=post, args=("bulk", bulk))
        waiting.start()
        wait_for(lambda: advisory_waiters(admin, "ExclusiveLock") == 1)  # the bulk frame waits its turn
        assert "bulk" not in results
        admin.execute("select pg_advisory_unlock_shared(%s)", (POSTING_LOCK_KEY,))
        waiting.join(timeout=30)
        assert results["bulk"].inserted == 20

        # A bulk frame holding the lock makes a small frame wait, then both are posted.
        admin.execute("select pg_advisory_lock(%s)", (POSTING_LOCK_KEY,))
        waiting = threading.Thread(target=post, args=("small", small))
        waiting.start()
        wait_for(lambda: advisory_waiters(admin, "ShareLock") == 1)
        admin.execute("select pg_advisory_unlock(%s)", (POSTING_LOCK_KEY,))
        waiting.join(timeout=30)
        assert results["small"].inserted == 2
    after = balances(seeded)
    assert {i: after[i] - before[i] for i in after} == {
        1: Decimal("4.50"),
        2: Decimal("4.50"),
        3: Decimal("4.00"),
        4: Decimal("4.00"),
        5: Decimal("4.00"),
    }
