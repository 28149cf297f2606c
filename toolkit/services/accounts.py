"""Accounts: created, changed (version-checked) and closed, each change audited in the same transaction."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any

from toolkit.db import UnitOfWork
from toolkit.entities import Account, AccountCreate, AccountUpdate, changes_of
from toolkit.errors import AccountClosed, DeleteRefused, ReopenRefused
from toolkit.mixins.queries import record_audit
from toolkit.models.enums import AccountStatus
from toolkit.repositories import AccountRepository, AuditRepository
from toolkit.retry import retry_transient
from toolkit.services.account_rules import ACCOUNTS
from toolkit.services.rules import checked, parse, refuse_read_only


class AccountService:
    def __init__(self, uow: UnitOfWork, accounts: AccountRepository, audit: AuditRepository) -> None:
        self.uow, self.accounts, self.audit = uow, accounts, audit

    async def get(self, id: int) -> Account:
        return await self.accounts.get(id)

    async def list(self, *args: Any, **kwargs: Any) -> builtins.list[Account]:
        return await self.accounts.list(*args, **kwargs)

    async def count(self, *args: Any, **kwargs: Any) -> int:
        return await self.accounts.count(*args, **kwargs)

    @retry_transient
    async def create(self, data: AccountCreate | dict[str, Any], *, actor: str) -> Account:
        [values] = checked(ACCOUNTS, [changes_of(parse(AccountCreate, data))], [None])
        async with self.uow.atomic():
            account = await self.accounts.create(values)
            await record_audit(self.audit, actor, "create", "account", account.id, _created(account))
        return account

    @retry_transient
    async def create_many(
        self, items: Sequence[AccountCreate | dict[str, Any]], *, actor: str
    ) -> builtins.list[Account]:
        """Create several accounts, all or nothing; a bad row is named by its index."""
        parsed = [changes_of(parse(AccountCreate, item, row=i)) for i, item in enumerate(items)]
        rows = checked(ACCOUNTS, parsed, range(len(parsed)))
        created = []
        async with self.uow.atomic():
            for values in rows:
                account = await self.accounts.create(values)
                await record_audit(self.audit, actor, "create", "account", account.id, _created(account))
                created.append(account)
        return created

    @retry_transient
    async def update(
        self, id: int, changes: AccountUpdate | dict[str, Any], *, actor: str, version: int | None = None
    ) -> Account:
        """Change fields of one account; with `version`, refuse if someone else changed it meanwhile."""
        if isinstance(changes, dict):
            refuse_read_only(changes)
        [values] = checked(ACCOUNTS, [changes_of(parse(AccountUpdate, changes))], [None])
        async with self.uow.atomic():
            current = await self.accounts.get_for_update(id)
            if current.status is AccountStatus.CLOSED and values.get("status", "closed") != "closed":
                raise ReopenRefused(id)
            if current.status is AccountStatus.CLOSED:
                raise AccountClosed(id, doing="change")
            before, after = await self.accounts.update(id, values, version=version)
            diff = _diff(before, after, [*values, "version"])
            if diff:
                await record_audit(self.audit, actor, "update", "account", id, diff)
        return after

    @retry_transient
    async def close(self, id: int, *, actor: str, version: int | None = None) -> Account:
        """Close an account for good (a closed account cannot be reopened)."""
        async with self.uow.atomic():
            current = await self.accounts.get_for_update(id)
            if current.status is AccountStatus.CLOSED:
                return current
            before, after = await self.accounts.update(id, {"status": AccountStatus.CLOSED}, version=version)
            await record_audit(
                self.audit, actor, "close", "account", id, _diff(before, after, ["status", "version"])
            )
        return after

    async def delete(self, id: int, *, actor: str) -> None:
        raise DeleteRefused(f"accounts are never deleted; close account {id} instead (close())")


def _created(account: Account) -> dict[str, Any]:
    return {
        k: {"old": None, "new": v}
        for k, v in account.to_dict().items()
        if k not in ("created_at", "updated_at")
    }


def _diff(before: Account, after: Account, fields: Iterable[str]) -> dict[str, Any]:
    return {
        k: {"old": getattr(before, k), "new": getattr(after, k)}
        for k in fields
        if getattr(before, k) != getattr(after, k)
    }
