"""Request collapsing (toolkit/collapse.py) on the real database: reads asked while the same read is in flight
share the next statement, and still see every write committed before they were asked.

A statement is held in flight without any timing: it takes a shared advisory lock the test holds exclusively
(the statement's snapshot is taken when it starts, before it waits), or every read connection is held so the
first read waits for one.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import psycopg
import pytest

from tests.conftest import libpq
from toolkit.db import Database
from toolkit.errors import NotFound
from toolkit.reads import Reads
from toolkit.repositories import AccountRepository
from toolkit.services import AccountService

LOCK = 4242
# The account's version, after waiting for the test's lock; 100 / 0 (an error) once the account is closed.
HELD = (
    "select pg_advisory_xact_lock_shared(%(lock)s::bigint) is null,"
    " (select version from accounts where id = %(id)s),"
    " 100 / (select count(*) from accounts where id = %(id)s and status = 'active')"
)


@pytest.fixture
async def database(settings: Any, database_url: Any) -> AsyncIterator[Database]:
    database = Database(dataclasses.replace(settings, pool_size=6))
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def lock(database_url: Any) -> Any:
    """Held by the test while it is in the block: statements of HELD wait for it."""
    with psycopg.connect(libpq(database_url), autocommit=True) as admin:

        class Held:
            def __enter__(self) -> None:
                admin.execute("select pg_advisory_lock(%s)", (LOCK,))

            def __exit__(self, *exc: object) -> None:
                admin.execute("select pg_advisory_unlock(%s)", (LOCK,))

            def waiting(self) -> int:
                """Statements waiting for the lock now (sent, and in flight)."""
                sql = "select count(*) from pg_locks where locktype = 'advisory' and not granted"
                return int(admin.execute(sql).fetchone()[0])  # type: ignore[index]

        yield Held()


async def until(condition: Callable[[], Any]) -> None:
    """Let the other tasks run until `condition()` holds (no timing: the test waits on a state)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the reads never reached the state the test waits for")


def counting(database: Database) -> list[str]:
    """Every statement the read pool sends, from now on (the statements themselves run as before)."""
    sent: list[str] = []
    fetch = database.reads.fetch

    async def noted(sql: str, params: Any) -> Any:
        sent.append(sql)
        return await fetch(sql, params)

    database.reads.fetch = noted  # type: ignore[method-assign]
    return sent


def held_read(database: Database, account_id: int) -> asyncio.Task[list[tuple[Any, ...]]]:
    return asyncio.ensure_future(database.read(HELD, {"lock": LOCK, "id": account_id}))


async def test_single_row_reads_asked_meanwhile_share_one_statement_each_getting_its_own_row(
    database, new_account
):
    made = [await new_account(plan=plan) for plan in ("free", "pro", "business", "pro")]
    reads = Reads(database)
    sent = counting(database)
    held = [await database.reads.acquire() for _ in range(database.reads.max_size)]
    first = asyncio.ensure_future(reads.get(AccountRepository, made[0].id))
    await until(lambda: database.reads.waiting)  # the first read waits for a connection: nothing sent yet
    asked = [made[1].id, made[2].id, made[1].id, made[3].id, 999_999]
    meanwhile = [asyncio.ensure_future(reads.get(AccountRepository, i)) for i in asked]
    await until(lambda: sum(b.size for b in database.collapsing.pending.values()) == len(asked))
    for connection in held:
        database.reads.release(connection)
    assert (await first)["id"] == made[0].id
    answers = await asyncio.gather(*meanwhile, return_exceptions=True)
    assert [a["plan"] for a in answers[:4]] == ["pro", "business", "pro", "pro"]  # type: ignore[index]
    assert [a["id"] for a in answers[:4]] == asked[:4]  # type: ignore[index]
    assert isinstance(answers[4], NotFound) and "999999" in str(answers[4])
    assert len(sent) == 2 and "ANY" in sent[1]  # the first read, then one for the five asked meanwhile


async def test_a_read_asked_after_a_commit_sees_it_though_the_same_read_was_in_flight(
    database, new_account, run, lock
):
    account = await new_account()
    with lock:
        before = held_read(database, account.id)
        await until(lambda: lock.waiting() == 1)  # sent: its snapshot is from before the write
        await run(AccountService, lambda s: s.update(account.id, {"full_name": "Ada King"}, actor="test"))
        after = [held_read(database, account.id) for _ in range(5)]
        await until(lambda: sum(b.size for b in database.collapsing.pending.values()) == 5)
    assert (await before)[0][1] == 1
    assert [rows[0][1] for rows in await asyncio.gather(*after)] == [2] * 5


async def test_an_error_reaches_the_waiters_of_its_statement_and_only_them(database, new_account, run, lock):
    closing, other = await new_account(), await new_account()
    with lock:
        before = held_read(database, closing.id)
        await until(lambda: lock.waiting() == 1)
        await run(AccountService, lambda s: s.close(closing.id, actor="test"))
        failing = [held_read(database, closing.id) for _ in range(3)]
        elsewhere = held_read(database, other.id)  # another read (its own family): sent at once
        await until(lambda: lock.waiting() == 2 and database.collapsing.pending)
    assert (await before)[0][1:] == (1, 100)
    for waiter in failing:
        with pytest.raises(psycopg.errors.DivisionByZero):
            await waiter
    assert (await elsewhere)[0][1:] == (1, 100)


async def test_a_waiter_that_goes_away_cancels_nothing_else(database, new_account, lock):
    account = await new_account()
    with lock:
        leader = held_read(database, account.id)
        await until(lambda: lock.waiting() == 1)
        waiters = [held_read(database, account.id) for _ in range(3)]
        await until(lambda: sum(b.size for b in database.collapsing.pending.values()) == 3)
        leader.cancel()  # the client of the read in flight went away
        waiters[0].cancel()  # and one of those waiting for the next
        await asyncio.sleep(0)
    with pytest.raises(asyncio.CancelledError):
        await leader
    with pytest.raises(asyncio.CancelledError):
        await waiters[0]
    assert [rows[0][1:] for rows in await asyncio.gather(*waiters[1:])] == [(1, 100)] * 2


async def test_a_batch_holds_at_most_its_cap_and_the_reads_past_it_are_sent_alone(
    database, new_account, lock
):
    account = await new_account()
    database.collapsing.max_waiters = 2
    sent = counting(database)
    with lock:
        first = held_read(database, account.id)
        await until(lambda: lock.waiting() == 1)
        more = [held_read(database, account.id) for _ in range(5)]
        await until(lambda: lock.waiting() == 4)  # three past the cap: sent at once, each on its own
        assert [b.size for b in database.collapsing.pending.values()] == [2]
    answers = await asyncio.gather(first, *more)
    assert [rows[0][1] for rows in answers] == [1] * 6
    assert len(sent) == 5  # the first, three alone, and one for the batch of two


async def test_the_statement_timeout_ends_a_collapsed_read_too(settings, new_account, lock):
    account = await new_account()
    database = Database(dataclasses.replace(settings, statement_timeout_ms=300))
    try:
        with lock:
            first = held_read(database, account.id)
            await until(lambda: lock.waiting() == 1)
            waiters = [held_read(database, account.id) for _ in range(3)]
            for read in (first, *waiters):
                with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
                    await read
    finally:
        await database.dispose()
