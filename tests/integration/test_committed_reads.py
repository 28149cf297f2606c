"""The lean read side: the same values as the session's read, one statement outside any transaction, on a pool
of its own that reuses its connections, replaces lost ones and never hangs when it is exhausted."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from tests.conftest import libpq
from toolkit.errors import DatabaseUnavailable, NotFound
from toolkit.pool import ConnectionPool
from toolkit.reads import Reads
from toolkit.repositories import AccountRepository


async def test_a_committed_read_gives_the_values_the_session_reads(container, new_account):
    created = await new_account(plan="pro")
    reads = await container.get(Reads)
    row = await reads.get(AccountRepository, created.id)
    async with container.enter_scope() as scope:
        assert row == (await (await scope.get(AccountRepository)).get(created.id)).to_dict()
    assert row["plan"] == "pro" and row["version"] == 1
    with pytest.raises(NotFound, match="999999"):
        await reads.get(AccountRepository, 999999)


async def test_the_pool_reuses_a_connection_and_runs_outside_any_transaction(database_url):
    pool = ConnectionPool(libpq(database_url), max_size=2, wait_s=1)
    try:
        async with pool.connection() as first:
            status = await (await first.execute("select pg_current_xact_id_if_assigned()")).fetchone()
            assert first.autocommit and status == (None,)
        async with pool.connection() as second:
            assert second is first
    finally:
        await pool.close()


async def test_a_lost_connection_is_replaced_and_takes_the_idle_ones_with_it(database_url):
    pool = ConnectionPool(libpq(database_url), max_size=3, wait_s=1)
    try:
        async with pool.connection() as a, pool.connection() as b:
            pids = {a.info.backend_pid, b.info.backend_pid}
        with psycopg.connect(libpq(database_url), autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(pid) from unnest(%s::int[]) pid", (list(pids),))
        with pytest.raises(psycopg.OperationalError):
            async with pool.connection() as dead:
                await dead.execute("select 1")
        assert pool.idle == [] and pool.size == 0
        async with pool.connection() as fresh:
            assert (await (await fresh.execute("select 1")).fetchone()) == (1,)
            assert fresh.info.backend_pid not in pids
    finally:
        await pool.close()


async def test_a_full_pool_hands_connections_over_in_turn_and_refuses_after_its_wait(database_url):
    pool = ConnectionPool(libpq(database_url), max_size=1, wait_s=0.2)
    try:
        async with pool.connection():
            with pytest.raises(DatabaseUnavailable, match="no database connection became free"):
                async with pool.connection():
                    pass
        pool.wait_s = 10

        async def one(n: int) -> int:
            async with pool.connection() as connection:
                return (await (await connection.execute("select %s::int", (n,))).fetchone())[0]  # type: ignore[index]

        assert await asyncio.gather(*(one(n) for n in range(5))) == list(range(5))
        assert pool.size == 1
    finally:
        await pool.close()


async def test_a_request_cancelled_while_waiting_for_a_connection_leaves_none_behind(database_url):
    pool = ConnectionPool(libpq(database_url), max_size=1, wait_s=10)
    try:
        async with pool.connection() as held:
            waiting = asyncio.create_task(pool.acquire())
            await asyncio.sleep(0.01)
            waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        async with pool.connection() as again:
            assert again is held and pool.size == 1
    finally:
        await pool.close()


async def test_a_statement_past_a_database_limit_is_its_own_error_not_an_outage(container, database_url):
    """PostgreSQL's program limits (too many columns, a statement too complex) are operational errors to
    psycopg, as a lost connection is: they are the statement's own, not "unreachable"."""
    reads = await container.get(Reads)
    too_wide = "select " + ", ".join(["1"] * 1700)
    with pytest.raises(psycopg.errors.TooManyColumns):
        await reads.database.read(too_wide, {})
    assert (await reads.database.read("select 1", {})) == [(1,)]
