"""Migration 0006 builds the rollup of a ledger that already has postings, keeps it from then on, and
downgrades cleanly (the ledger posts as before without it)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy.engine import URL

from tests.conftest import admin_rows, libpq
from toolkit import migrations
from toolkit.roles import WRITER, role_url

BY_SLOT = (
    "select date_bin('15 minutes', occurred_at, timestamptz '2000-01-01 00:00+00'), kind, count(*),"
    " sum(amount) from transactions group by 1, 2 order by 1, 2"
)
ROLLUP = (
    "select slot, kind, sum(count)::bigint, sum(total) from (select slot, kind, count, total"
    " from transaction_slots union all select slot, kind, count, total from transaction_slot_deltas) s"
    " group by 1, 2 order by 1, 2"
)


@pytest.fixture
def empty_url(make_database) -> URL:
    return make_database("qa_rollup")


def post(url: URL, *rows: tuple[str, str, str]) -> None:
    with psycopg.connect(libpq(role_url(url, WRITER))) as conn:
        conn.cursor().executemany(
            "insert into transactions (account_id, kind, amount, occurred_at) values (1, %s, %s, %s)", rows
        )


def test_the_upgrade_builds_the_rollup_of_existing_postings_and_keeps_it(empty_url):
    migrations.upgrade("0005", url=empty_url)
    with psycopg.connect(libpq(role_url(empty_url, WRITER))) as conn:
        conn.execute("insert into accounts (email, full_name, country) values ('a@x.org', 'A', 'GB')")
    post(
        empty_url,
        ("deposit", "100.00", "2025-03-30T00:59:59.999999+00:00"),
        ("deposit", "0.01", "2025-03-30T01:00:00+00:00"),
        ("fee", "-2.50", "2025-03-30T01:14:00+00:00"),
        ("adjustment", "-0.30", "1999-12-31T23:50:00+00:00"),
    )
    migrations.upgrade(url=empty_url)
    assert admin_rows(empty_url, ROLLUP) == admin_rows(empty_url, BY_SLOT)
    assert admin_rows(empty_url, "select count(*) from transaction_slot_deltas") == [(0,)]
    post(empty_url, ("fee", "-1.00", "2025-03-30T01:10:00+00:00"))
    assert admin_rows(empty_url, ROLLUP) == admin_rows(empty_url, BY_SLOT)
    assert (datetime(2025, 3, 30, 1, tzinfo=UTC), "fee", 2, Decimal("-3.50")) in admin_rows(empty_url, ROLLUP)
    assert migrations.check(url=empty_url) == []

    migrations.downgrade("0005", url=empty_url)
    gone = "select to_regclass('transaction_slots'), to_regclass('transaction_slot_deltas')"
    assert admin_rows(empty_url, gone) == [(None, None)]
    assert admin_rows(empty_url, "select count(*) from pg_proc where proname like '%transaction_slots%'") == [
        (0,)
    ]
    post(empty_url, ("deposit", "5.00", "2025-04-01T00:00:00+00:00"))
    migrations.upgrade(url=empty_url)
    assert admin_rows(empty_url, ROLLUP) == admin_rows(empty_url, BY_SLOT)
    assert sum(row[2] for row in admin_rows(empty_url, ROLLUP)) == 6
