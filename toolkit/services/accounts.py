"""Accounts: created, changed (version-checked) and closed, never deleted, each change audited in the same
transaction. The generic writes (toolkit/services/rows.py) do the work; what is the accounts' own is here."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit.db import UnitOfWork
from toolkit.entities import Account, AccountCreate, AccountUpdate
from toolkit.errors import AccountClosed, DeleteRefused, ReopenRefused, currency_fixed
from toolkit.frames.plan import Plan
from toolkit.frames.validate import Issues
from toolkit.mixins.queries import record_audit
from toolkit.models.enums import AccountStatus
from toolkit.repositories import AccountRepository, AuditRepository
from toolkit.retry import retry_transient
from toolkit.services.row_writes import changed_fields, create_rows, refuse_read_only, update_row

if TYPE_CHECKING:
    from toolkit.resources import Resource

KEPT_BY_TOOLKIT = (
    "balances move only by posting transactions; versions and timestamps are kept by the toolkit"
)


def resource() -> Resource:
    from toolkit.resources.accounts import RESOURCE

    return RESOURCE


class AccountService:
    def __init__(self, uow: UnitOfWork, accounts: AccountRepository, audit: AuditRepository) -> None:
        self.uow, self.accounts, self.audit = uow, accounts, audit

    async def get(self, id: int) -> Account:
        return await self.accounts.get(id)

    async def list(self, *args: Any, **kwargs: Any) -> builtins.list[Account]:
        return await self.accounts.list(*args, **kwargs)

    async def count(self, *args: Any, **kwargs: Any) -> int:
        return await self.accounts.count(*args, **kwargs)

    async def create(self, data: AccountCreate | dict[str, Any], *, actor: str) -> Account:
        [account] = await create_rows(resource(), self.accounts, self.uow, self.audit, [data], [None], actor)
        return account  # type: ignore[return-value]

    async def create_many(
        self, items: Sequence[AccountCreate | dict[str, Any]], *, actor: str
    ) -> builtins.list[Account]:
        """Create several accounts, all or nothing; a bad row is named by its index."""
        rows = range(len(items))
        return await create_rows(resource(), self.accounts, self.uow, self.audit, items, rows, actor)  # type: ignore[return-value]

    async def update(
        self, id: int, changes: AccountUpdate | dict[str, Any], *, actor: str, version: int | None = None
    ) -> Account:
        """Change fields of one account; with `version`, refuse if someone else changed it meanwhile."""
        if isinstance(changes, dict):
            refuse_read_only(resource(), changes, KEPT_BY_TOOLKIT)
        parts = (resource(), self.accounts, self.uow, self.audit)
        return await update_row(*parts, id, changes, actor, version, guard=still_open)  # type: ignore[return-value]

    @retry_transient
    async def close(self, id: int, *, actor: str, version: int | None = None) -> Account:
        """Close an account for good (a closed account cannot be reopened)."""
        async with self.uow.atomic():
            current = await self.accounts.get_for_update(id)
            if current.status is AccountStatus.CLOSED:
                return current
            closing = {"status": AccountStatus.CLOSED}
            before, after = await self.accounts.update(id, closing, version=version, version_column="version")
            changes = changed_fields(before, after, ["status", "version"])
            await record_audit(self.audit, actor, "close", "account", id, changes)
        return after

    async def delete(self, id: int, *, actor: str) -> None:
        raise DeleteRefused(f"accounts are never deleted; close account {id} instead (close())")

    def frame_rules(self, plan: Plan, current: pd.DataFrame, issues: Issues) -> None:
        """A frame may not change a closed account, nor reopen one, nor the currency of one holding money."""
        changed = plan.changes
        if len(changed):
            if "ch_currency" in changed:
                funded = current.loc[changed["id"].to_numpy(), "balance"].to_numpy() != 0
                moved = changed["ch_currency"].to_numpy(dtype=bool) & funded
                for label, id_ in changed.loc[moved, "id"].items():
                    issues.add([label], "currency", currency_fixed(int(id_)))
            closed = current.loc[changed["id"].to_numpy(), "status"].to_numpy() == "closed"
            reopen = closed & False
            if "ch_status" in changed:
                reopen = closed & changed["ch_status"].to_numpy() & (changed["status"] != "closed").to_numpy()
            issues.add(changed.index[reopen], "status", "a closed account cannot be reopened")
            issues.add(changed.index[closed & ~reopen], None, "the account is closed; it cannot be changed")


def still_open(current: Account, values: dict[str, Any]) -> None:
    if current.status is AccountStatus.CLOSED and values.get("status", "closed") != "closed":
        raise ReopenRefused(current.id)
    if current.status is AccountStatus.CLOSED:
        raise AccountClosed(current.id, doing="change")
