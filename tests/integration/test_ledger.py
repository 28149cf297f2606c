from __future__ import annotations

import random
from decimal import Decimal

import psycopg
import pytest

from tests.conftest import libpq
from tests.integration.conftest import ACTOR
from toolkit.errors import AccountClosed, NotFound, Overdraft, ValidationFailed
from toolkit.services import AccountService, AuditService, TransactionService


def post(account_id, kind, amount, **extra):
    return lambda s: s.post({"account_id": account_id, "kind": kind, "amount": amount, **extra}, actor=ACTOR)


async def balance(run, account_id):
    return (await run(AccountService, lambda s: s.get(account_id))).balance


async def test_posting_moves_the_balance_in_the_same_transaction(run, new_account):
    account = await new_account()
    tx = await run(TransactionService, post(account.id, "deposit", "100.50", description="salary"))
    assert tx.amount == Decimal("100.50") and tx.occurred_at.tzinfo is not None
    await run(TransactionService, post(account.id, "fee", "-0.50"))
    assert await balance(run, account.id) == Decimal("100.00")


async def test_overdraft_is_refused_and_nothing_is_written(run, new_account):
    account = await new_account()
    await run(TransactionService, post(account.id, "deposit", "10"))
    with pytest.raises(Overdraft, match="below zero"):
        await run(TransactionService, post(account.id, "withdrawal", "-10.01"))
    assert await balance(run, account.id) == Decimal("10.00")
    assert await run(TransactionService, lambda s: s.count()) == 1


async def test_posting_to_a_closed_account_is_refused(run, new_account):
    account = await new_account()
    await run(AccountService, lambda s: s.close(account.id, actor=ACTOR))
    with pytest.raises(AccountClosed, match="closed"):
        await run(TransactionService, post(account.id, "deposit", "1"))
    assert await run(TransactionService, lambda s: s.count()) == 0


@pytest.mark.parametrize(
    ("kind", "amount"), [("deposit", "-5"), ("withdrawal", "5"), ("fee", "3"), ("refund", "-1")]
)
async def test_amount_sign_must_match_kind(run, new_account, kind, amount):
    account = await new_account()
    await run(TransactionService, post(account.id, "deposit", "100"))
    with pytest.raises(ValidationFailed, match=r"must be (positive|negative) for") as caught:
        await run(TransactionService, post(account.id, kind, amount))
    assert caught.value.issues[0].field == "amount"
    assert await balance(run, account.id) == Decimal("100.00")


async def test_zero_amount_and_unknown_account_are_refused(run, new_account):
    account = await new_account()
    with pytest.raises(ValidationFailed, match="zero"):
        await run(TransactionService, post(account.id, "adjustment", "0"))
    with pytest.raises(NotFound, match="account 424242"):
        await run(TransactionService, post(424242, "deposit", "1"))


async def test_post_many_is_all_or_nothing_in_posting_order(run, new_account):
    a, b = await new_account(), await new_account()
    batch = [
        {"account_id": a.id, "kind": "deposit", "amount": "50"},
        {"account_id": b.id, "kind": "deposit", "amount": "20"},
        {"account_id": a.id, "kind": "withdrawal", "amount": "-50"},
        {"account_id": a.id, "kind": "withdrawal", "amount": "-0.01"},  # overdraws: refuses the whole batch
    ]
    with pytest.raises(Overdraft):
        await run(TransactionService, lambda s: s.post_many(batch, actor=ACTOR))
    assert await balance(run, a.id) == 0 and await balance(run, b.id) == 0
    assert await run(TransactionService, lambda s: s.count()) == 0
    posted = await run(TransactionService, lambda s: s.post_many(batch[:3], actor=ACTOR))
    assert [t.amount for t in posted] == [Decimal("50"), Decimal("20"), Decimal("-50")]
    assert await balance(run, a.id) == 0 and await balance(run, b.id) == Decimal("20.00")


async def test_posting_several_accounts_waits_for_a_bulk_post_holding_the_posting_lock(
    run, new_account, database_url
):
    import asyncio

    from toolkit.mixins.queries import POSTING_LOCK_KEY

    a, b = await new_account(), await new_account()
    batch = [
        {"account_id": b.id, "kind": "deposit", "amount": "5"},
        {"account_id": a.id, "kind": "deposit", "amount": "7"},
    ]
    waiting = (
        "select count(*) from pg_locks where locktype = 'advisory' and not granted and mode = 'ShareLock'"
    )
    async with await psycopg.AsyncConnection.connect(libpq(database_url), autocommit=True) as admin:
        await admin.execute("select pg_advisory_lock(%s)", (POSTING_LOCK_KEY,))  # as a bulk post_frame
        posting = asyncio.ensure_future(run(TransactionService, lambda s: s.post_many(batch, actor=ACTOR)))
        for _ in range(1000):
            if (await (await admin.execute(waiting)).fetchone())[0] == 1:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("post_many never queued for the posting lock")
        assert not posting.done()  # it waits for the posting lock before locking either account...
        await run(TransactionService, post(a.id, "deposit", "1"))  # ...while one account's postings go on
        await admin.execute("select pg_advisory_unlock(%s)", (POSTING_LOCK_KEY,))
        assert [t.amount for t in await posting] == [Decimal("5"), Decimal("7")]
    assert await balance(run, a.id) == Decimal("8.00") and await balance(run, b.id) == Decimal("5.00")


async def test_balance_equals_the_sum_of_transactions_after_many_postings(run, new_account):
    rng = random.Random(7)
    accounts = [await new_account() for _ in range(3)]
    accepted = refused = 0
    for _ in range(150):
        account = rng.choice(accounts)
        kind = rng.choice(["deposit", "withdrawal", "fee", "refund", "adjustment"])
        cents = rng.randint(1, 5000)
        sign = -1 if kind in ("withdrawal", "fee") or (kind == "adjustment" and rng.random() < 0.5) else 1
        try:
            await run(TransactionService, post(account.id, kind, Decimal(sign * cents) / 100))
            accepted += 1
        except Overdraft:
            refused += 1
    assert accepted > 50 and refused > 0
    for account in accounts:
        total = await run(TransactionService, lambda s, a=account: s.transactions.sum_for(a.id))
        assert await balance(run, account.id) == total >= 0


async def test_every_change_writes_one_audit_row_with_old_and_new_values(run, new_account):
    account = await new_account()
    await run(AccountService, lambda s: s.update(account.id, {"plan": "pro"}, actor="bob", version=1))
    tx = await run(TransactionService, post(account.id, "deposit", "5"))
    await run(AccountService, lambda s: s.close(account.id, actor="carol"))
    entries = await run(AuditService, lambda s: s.list())
    assert [(e.action, e.entity, e.actor) for e in entries] == [
        ("create", "account", ACTOR),
        ("update", "account", "bob"),
        ("post", "transaction", ACTOR),
        ("close", "account", "carol"),
    ]
    assert entries[1].changes["plan"] == {"old": "free", "new": "pro"}
    assert entries[2].entity_id == tx.id and entries[2].changes["balance"] == {"old": "0.00", "new": "5.00"}


async def test_the_ledger_is_append_only_in_the_database_too(run, new_account, database_url):
    account = await new_account()
    await run(TransactionService, post(account.id, "deposit", "5"))
    with psycopg.connect(libpq(database_url)) as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute("update transactions set amount = 500")
    with psycopg.connect(libpq(database_url)) as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute("delete from transactions")
    assert await balance(run, account.id) == Decimal("5.00")


@pytest.mark.parametrize(
    ("amount", "reason"), [("1.005", "2 decimal"), ("NaN", "finite"), ("1e13", "out of range")]
)
async def test_money_must_be_exact_and_in_range(run, new_account, amount, reason):
    account = await new_account()
    with pytest.raises(ValidationFailed, match=reason):
        await run(TransactionService, post(account.id, "adjustment", amount))
    assert await run(TransactionService, lambda s: s.count()) == 0
