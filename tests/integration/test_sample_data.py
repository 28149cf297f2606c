from __future__ import annotations

import psycopg

from tests.conftest import libpq
from toolkit.services import SampleDataService


async def load(run, **sizes):
    return await run(SampleDataService, lambda s: s.load_if_empty(**sizes))


def query(database_url, sql: str):
    with psycopg.connect(libpq(database_url)) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else None


async def test_sample_balances_equal_their_ledger_and_never_dip_below_zero(run, database_url):
    loaded = await load(run, accounts=300, transactions=3000)
    assert (loaded.accounts, loaded.transactions) == (300, 3000)
    assert query(database_url, "select count(*) from accounts")[0][0] == 300
    mismatched = query(
        database_url,
        "select count(*) from accounts a where balance <> "
        "(select coalesce(sum(amount), 0) from transactions t where t.account_id = a.id)",
    )
    assert mismatched[0][0] == 0
    lowest = query(
        database_url,
        "select min(running) from (select sum(amount) over (partition by account_id order by occurred_at, id)"
        " as running from transactions) r",
    )
    assert lowest[0][0] >= 0
    audited = query(database_url, "select action, count(*) from audit_log group by action order by action")
    assert audited == [("create", 300), ("post", 3000)]


async def test_sample_is_deterministic_and_loaded_only_into_an_empty_database(run, database_url):
    await load(run, accounts=50, transactions=200)
    first = query(database_url, "select email, plan, country, balance, created_at from accounts order by id")
    assert await load(run, accounts=50, transactions=200) is None
    query(
        database_url,  # the ledger and the audit refuse TRUNCATE but for a superuser in replica mode
        "set session_replication_role = replica;"
        " truncate accounts, transactions, audit_log restart identity cascade",
    )
    await load(run, accounts=50, transactions=200)
    again = query(database_url, "select email, plan, country, balance, created_at from accounts order by id")
    assert again == first
