"""The ledger's rollup (migration 0006) answers exactly what the ledger itself does: after random postings
(single posts and post_frame, across DST nights), in zones with :30 and :45 offsets, for every bucket, per
kind or not, before and after folding; narrowed series and odd offsets fall back to the ledger. Concurrent
postings into one slot and kind never wait for each other, and nobody but the database writes the rollup."""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import psycopg
import pytest

from tests.conftest import admin_rows, libpq
from toolkit import times
from toolkit.models.enums import TransactionKind
from toolkit.repositories import TransactionRepository
from toolkit.roles import READER, WRITER, role_url
from toolkit.services import MetricsService

KINDS = [k.value for k in TransactionKind]
# Around Europe's and Lord Howe's spring changes (2025-03-30, 2025-04-06) and the autumn ones of Europe and
# America (2025-10-26, 2025-11-02).
WINDOWS = [
    (datetime(2025, 3, 27, tzinfo=UTC), datetime(2025, 4, 8, tzinfo=UTC)),
    (datetime(2025, 10, 24, tzinfo=UTC), datetime(2025, 11, 4, tzinfo=UTC)),
]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"]
ANY = TransactionRepository.column("id") > 0  # a filter the rollup does not carry: the ledger answers


def random_postings(rng: random.Random, accounts: int, n: int) -> list[dict[str, Any]]:
    rows = []
    for _ in range(n):
        first, last = rng.choice(WINDOWS)
        moment = first + timedelta(seconds=rng.randrange(int((last - first).total_seconds())))
        moment += timedelta(microseconds=rng.choice([0, rng.randrange(10**6)]))
        kind = rng.choice(KINDS)
        cents = rng.randrange(1, 500_00)
        sign = -1 if kind in ("withdrawal", "fee") or (kind == "adjustment" and rng.random() < 0.5) else 1
        rows.append(
            {
                "account_id": rng.randrange(1, accounts + 1),
                "kind": kind,
                "amount": Decimal(sign * cents) / 100,
                "occurred_at": moment,
            }
        )
    return rows


def expected(postings: list[dict[str, Any]], answer: list[dict[str, Any]], bucket: str, tz: str) -> list:
    """The answer computed in Python from the postings themselves, on the answer's own buckets."""
    zone = times.zone(tz)  # (keys in UTC: the two 02:00 of an autumn night are equal as wall times)
    starts = sorted({r["bucket"].astimezone(UTC) for r in answer})
    bounds = [*starts, times.following(starts[-1].astimezone(zone), bucket, zone).astimezone(UTC)]
    by_kind = "kind" in answer[0]
    cells: dict[tuple[Any, Any], tuple[int, Decimal]] = {}
    for p in postings:
        i = bisect_right(bounds, p["occurred_at"]) - 1
        if 0 <= i < len(starts):
            key = (starts[i], p["kind"] if by_kind else None)
            count, total = cells.get(key, (0, Decimal("0.00")))
            cells[key] = (count + 1, total + p["amount"])
    return [
        {**r, **dict(zip(("count", "total"), cells.get((r["bucket"].astimezone(UTC), r.get("kind")),
                                                      (0, Decimal("0.00"))), strict=True))}
        for r in answer
    ]  # fmt: skip


def deltas(database_url) -> int:
    return admin_rows(database_url, "select count(*) from transaction_slot_deltas")[0][0]


def fold(database_url, most: int | None = None) -> int:
    with psycopg.connect(libpq(role_url(database_url, WRITER)), autocommit=True) as conn:
        return conn.execute("select queaccount_fold_transaction_slots(%s)", (most,)).fetchone()[0]  # type: ignore[index]


def tamper(database_url, kind: str) -> None:
    """A delta of 1000 postings that only the admin could add, past every role: it tells which answer was
    read from the rollup."""
    with psycopg.connect(libpq(database_url), autocommit=True) as admin:
        admin.execute(
            "insert into transaction_slot_deltas (slot, kind, count, total)"
            " values ('2025-11-01 12:00+00', %s, 1000, %s)",
            (kind, -1 if kind == "fee" else 1),
        )


@pytest.fixture
def ledger(qa, database_url) -> list[dict[str, Any]]:
    """Eight accounts, each with a large first deposit, then random postings: most by post_frame in two
    frames, some by single posts while no fold may run. Returns every posting; the rollup holds folded
    slots and many deltas."""
    rng = random.Random(16)
    qa.accounts.insert_frame(
        pd.DataFrame(
            {"email": [f"u{i}@example.com" for i in range(8)], "full_name": ["U"] * 8, "country": ["DE"] * 8}
        )
    )
    start = datetime(2025, 3, 27, 0, 0, 1, tzinfo=UTC)
    seed = [
        {"account_id": i, "kind": "deposit", "amount": Decimal("1000000.00"), "occurred_at": start}
        for i in range(1, 9)
    ]
    posted = [*seed, *random_postings(rng, 8, 1200)]
    qa.transactions.post_frame(pd.DataFrame(posted[:700]))
    qa.transactions.post_frame(pd.DataFrame(posted[700:1150]))  # its trigger folds the first frame's deltas
    with psycopg.connect(libpq(database_url), autocommit=True) as other:  # as a long posting would, it holds
        other.execute("select pg_advisory_lock(hashtext('queaccount.transaction_slots'))")  # off the folds
        for p in posted[1150:]:
            qa.transactions.post(p["account_id"], p["kind"], p["amount"], occurred_at=p["occurred_at"])
    return posted


async def answers(run, bucket: str, tz: str, by_kind: bool, *where: Any) -> list[dict[str, Any]]:
    first, last = WINDOWS[0][0], WINDOWS[1][1]
    if bucket == "hour":
        first, last = WINDOWS[1]
    return await run(
        MetricsService,
        lambda s: s.transactions_per(bucket, first, last, by_kind, tz=tz, where=list(where)),
    )


@pytest.mark.parametrize("tz", ZONES)
async def test_rollup_and_ledger_give_the_same_series_in_every_zone_bucket_and_grouping(
    ledger, run, database_url, tz
):
    folded = admin_rows(database_url, "select count(*) from transaction_slots")[0][0]
    assert folded > 0 and deltas(database_url) > 50  # the answers sum folded slots and many deltas
    for bucket in times.UNITS:
        for by_kind in (False, True):
            rolled = await answers(run, bucket, tz, by_kind)
            assert rolled == await answers(run, bucket, tz, by_kind, ANY), (bucket, by_kind)
            assert rolled == expected(ledger, rolled, bucket, tz), (bucket, by_kind)
            assert sum(r["count"] for r in rolled) > 0


async def test_a_series_narrowed_by_kind_alone_is_read_from_the_rollup_and_equals_the_ledger(
    ledger, run, database_url
):
    kind = TransactionRepository.column("kind")
    tamper(database_url, "refund")
    for where in (
        [kind == "fee"],
        [kind.in_(["deposit", "adjustment"]), kind != "deposit"],
        [kind.is_(None)],
    ):
        for tz in ("Asia/Kathmandu", "America/New_York"):
            rolled = await answers(run, "day", tz, True, *where)
            assert rolled == await answers(run, "day", tz, True, *where, ANY), where
            assert 1000 not in [r["count"] for r in rolled]
    refunds = await answers(run, "day", "UTC", False, kind == "refund")
    assert sorted(r["count"] for r in refunds)[-1] >= 1000  # the tampered slot: the rollup answered


async def test_after_a_partial_and_a_full_fold_every_series_is_unchanged(ledger, run, database_url):
    before = {(b, tz): await answers(run, b, tz, True) for b in times.UNITS for tz in ZONES[3:5]}
    left = deltas(database_url)
    assert fold(database_url, 5) == 5 and deltas(database_url) == left - 5  # partly folded: the same answers
    assert {(b, tz): await answers(run, b, tz, True) for b in times.UNITS for tz in ZONES[3:5]} == before
    assert fold(database_url) == left - 5
    assert deltas(database_url) == 0
    assert fold(database_url) == 0
    assert {(b, tz): await answers(run, b, tz, True) for b in times.UNITS for tz in ZONES[3:5]} == before


async def test_the_unnarrowed_series_is_read_from_the_rollup_and_a_narrowed_one_from_the_ledger(
    ledger, run, database_url
):
    tamper(database_url, "fee")
    rolled = await answers(run, "day", "UTC", True)
    plain = await answers(run, "day", "UTC", True, ANY)
    [changed] = [(r, p) for r, p in zip(rolled, plain, strict=True) if r != p]
    assert changed[0]["count"] == changed[1]["count"] + 1000


async def test_a_zone_off_the_quarter_hours_is_answered_by_the_ledger(qa, run):
    # Monrovia kept -0:44:30 until 1972: its hours start 14.5 minutes into a slot, so the slot from 10:30 UTC
    # holds 10:40 of the local hour 9 (09:55:30) and 10:44:59 of the hour 10 (10:00:29); slots would say 4, 1.
    qa.accounts.insert_frame(
        pd.DataFrame({"email": ["m@example.com"], "full_name": ["M"], "country": ["LR"]})
    )
    moments = [datetime(1970, 6, 1, 10, m, 59 if m == 44 else 0, tzinfo=UTC) for m in (0, 20, 40, 44, 50)]
    for m in moments:
        qa.transactions.post(1, "deposit", "1.00", occurred_at=m)
    zone = times.zone("Africa/Monrovia")
    rows = await run(
        MetricsService,
        lambda s: s.transactions_per("hour", moments[0], moments[-1], tz="Africa/Monrovia"),
    )
    local = [(m.astimezone(zone).replace(minute=0, second=0), m) for m in moments]
    assert {r["bucket"]: r["count"] for r in rows} == {
        h: sum(1 for k, _ in local if k == h) for h, _ in local
    }
    assert [r["count"] for r in rows] == [3, 2]


def test_qa_metrics_give_the_same_frames_from_the_rollup_and_the_ledger(ledger, qa):
    from toolkit.models import Transaction

    for tz in ("Asia/Kathmandu", "Europe/Berlin"):
        for bucket in ("day", "week"):
            rolled = qa.metrics.transactions(bucket=bucket, group_by="kind", tz=tz, start="2025-03-27")
            plain = qa.metrics.transactions(Transaction.id > 0, bucket=bucket, group_by="kind", tz=tz,
                                            start="2025-03-27")  # fmt: skip
            pd.testing.assert_frame_equal(rolled, plain)
            assert rolled["count"].sum() == len(ledger)


def test_two_open_postings_into_one_slot_and_kind_do_not_wait_for_each_other(qa, database_url):
    qa.accounts.insert_frame(
        pd.DataFrame({"email": ["a@x.org", "b@x.org"], "full_name": ["A", "B"], "country": ["GB", "GB"]})
    )
    at = "2025-05-01T10:05:00+00:00"
    qa.transactions.post(1, "deposit", "5.00", occurred_at=at)  # a committed delta for the first to fold
    url = libpq(role_url(database_url, WRITER))
    insert = "insert into transactions (account_id, kind, amount, occurred_at) values (%s, 'deposit', %s, %s)"
    with psycopg.connect(url) as first, psycopg.connect(url) as second, psycopg.connect(url) as third:
        for conn in (first, second, third):
            conn.execute("set lock_timeout = '2s'")
        first.execute(insert, (1, "1.00", at))  # folds the committed delta, holds the fold until it ends
        second.execute(insert, (2, "2.00", at))  # would time out if it waited for the first
        assert third.execute("select queaccount_fold_transaction_slots()").fetchone() == (0,)
        third.commit()
        second.commit()
        first.commit()
    assert fold(database_url) >= 2
    rows = admin_rows(database_url, "select slot, kind, count, total from transaction_slots")
    assert rows == [(datetime(2025, 5, 1, 10, 0, tzinfo=UTC), "deposit", 3, Decimal("8.00"))]


def test_a_rolled_back_posting_leaves_the_rollup_as_it_was(qa, database_url):
    qa.accounts.insert_frame(pd.DataFrame({"email": ["a@x.org"], "full_name": ["A"], "country": ["GB"]}))
    with psycopg.connect(libpq(role_url(database_url, WRITER))) as conn:
        conn.execute("insert into transactions (account_id, kind, amount) values (1, 'deposit', 9)")
        conn.rollback()
    assert admin_rows(
        database_url,
        "select count(*) from transaction_slots union all select count(*) from transaction_slot_deltas",
    ) == [(0,), (0,)]


@pytest.mark.parametrize(
    "statement",
    [
        "insert into transaction_slots (slot, kind, count, total) values (now(), 'fee', 1, -1)",
        "insert into transaction_slot_deltas (slot, kind, count, total) values (now(), 'fee', 1, -1)",
        "update transaction_slots set count = count + 1",
        "delete from transaction_slot_deltas",
        "truncate transaction_slots",
        "select queaccount_build_transaction_slots()",
    ],
)
def test_the_writer_cannot_write_the_rollup_itself(database_url, statement):
    with (
        psycopg.connect(libpq(role_url(database_url, WRITER)), autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_the_reader_reads_the_rollup_and_cannot_fold_it(qa, database_url):
    qa.accounts.insert_frame(pd.DataFrame({"email": ["a@x.org"], "full_name": ["A"], "country": ["GB"]}))
    qa.transactions.post(1, "deposit", "3.50", occurred_at="2025-01-01T00:14:59Z")
    with psycopg.connect(libpq(role_url(database_url, READER)), autocommit=True) as conn:
        assert conn.execute("select slot, count, total from transaction_slot_deltas").fetchall() == [
            (datetime(2025, 1, 1, tzinfo=UTC), 1, Decimal("3.50"))
        ]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select queaccount_fold_transaction_slots()")
