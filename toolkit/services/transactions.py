"""The ledger: postings move balances in the same transaction, in order, never below zero."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from toolkit.db import UnitOfWork
from toolkit.entities import Transaction, TransactionCreate, changes_of
from toolkit.errors import AccountClosed, DeleteRefused, Overdraft
from toolkit.frames.plan import Report
from toolkit.mixins.queries import record_audit
from toolkit.models.enums import AccountStatus
from toolkit.repositories import AccountRepository, AuditRepository, TransactionRepository
from toolkit.retry import retry_transient
from toolkit.services.posting_rules import POSTINGS
from toolkit.services.rules import checked, parse
from toolkit.services.transaction_frames import post_frame


class TransactionService:
    def __init__(
        self,
        uow: UnitOfWork,
        transactions: TransactionRepository,
        accounts: AccountRepository,
        audit: AuditRepository,
    ) -> None:
        self.uow, self.transactions, self.accounts, self.audit = uow, transactions, accounts, audit

    async def get(self, id: int) -> Transaction:
        return await self.transactions.get(id)

    async def list(self, *args: Any, **kwargs: Any) -> builtins.list[Transaction]:
        return await self.transactions.list(*args, **kwargs)

    async def count(self, *args: Any, **kwargs: Any) -> int:
        return await self.transactions.count(*args, **kwargs)

    async def create_many(
        self, items: Sequence[TransactionCreate | dict[str, Any]], *, actor: str
    ) -> builtins.list[Transaction]:
        """Posting is how the ledger grows: `post_many`."""
        return await self.post_many(items, actor=actor)

    async def insert_frame(self, frame: pd.DataFrame, *, actor: str) -> Report:
        """Post every row of a frame in frame order, all or nothing (no balance may go below zero)."""
        return await post_frame(self.uow, self.transactions.session, frame, actor)

    async def post(self, data: TransactionCreate | dict[str, Any], *, actor: str) -> Transaction:
        """Post one transaction: refused if the account is closed or the balance would go below zero."""
        return (await self.post_many([data], actor=actor))[0]

    @retry_transient
    async def post_many(
        self, items: Sequence[TransactionCreate | dict[str, Any]], *, actor: str
    ) -> builtins.list[Transaction]:
        """Post many transactions in order, all or nothing."""
        many = len(items) > 1
        postings = [parse(TransactionCreate, item, row=i if many else None) for i, item in enumerate(items)]
        # Amounts as their exact text, as a frame of text gives them (a Decimal NaN would read as missing).
        given = [
            {k: str(v) if k == "amount" else v for k, v in changes_of(p).items() if v is not None}
            for p in postings
        ]
        checked(POSTINGS, given, [i if many else None for i in range(len(items))])
        async with self.uow.atomic():
            accounts = sorted({p.account_id for p in postings})
            # Postings of several accounts queue behind a bulk post_frame (which locks them in any order).
            if len(accounts) > 1:
                await self.transactions.hold_posting_lock()
            for account_id in accounts:
                await self.accounts.get_for_update(account_id)  # lock in id order: no deadlocks
            return [await self._post_locked(p, actor) for p in postings]

    async def _post_locked(self, posting: TransactionCreate, actor: str) -> Transaction:
        account = await self.accounts.get(posting.account_id)
        if account.status is AccountStatus.CLOSED:
            raise AccountClosed(account.id)
        amount = Decimal(posting.amount).quantize(Decimal("0.01"))
        if account.balance + amount < 0:
            raise Overdraft(account.id, account.balance, amount)
        values = {k: v for k, v in changes_of(posting).items() if v is not None} | {"amount": amount}
        transaction = await self.transactions.create(values)  # the database moves the balance and version
        await record_audit(
            self.audit,
            actor,
            "post",
            "transaction",
            transaction.id,
            {
                "account_id": {"old": None, "new": account.id},
                "kind": {"old": None, "new": posting.kind},
                "amount": {"old": None, "new": amount},
                "balance": {"old": account.balance, "new": account.balance + amount},
            },
        )
        return transaction

    async def delete(self, id: int, *, actor: str) -> None:
        raise DeleteRefused("the ledger is append-only: post a reversing adjustment instead")
