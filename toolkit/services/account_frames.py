"""Accounts as DataFrames: read, diff, apply and bulk insert, under the same rules as single rows."""

from __future__ import annotations

import asyncio

import pandas as pd
from psycopg.errors import UniqueViolation
from sqlalchemy import Table

from toolkit.db import UnitOfWork
from toolkit.errors import Conflict, Issue, ValidationFailed
from toolkit.frames import read, write
from toolkit.frames.plan import Plan, Report, issue_list, make_plan, refuse, without_invalid
from toolkit.frames.validate import Issues, check_frame
from toolkit.repositories import AccountRepository
from toolkit.retry import retry_transient
from toolkit.services.account_rules import ACCOUNTS, valid_emails
from toolkit.services.frame_reads import FrameReads


def named_ids(frame: pd.DataFrame) -> list[int]:
    """The whole-number ids in the frame's `id` column, before any check (a bad id is refused later)."""
    if "id" not in frame.columns:
        return []
    ids = pd.to_numeric(frame["id"], errors="coerce").dropna()
    whole = ids[(ids == ids.round()) & ids.between(1, 2**63 - 1)]
    ids_: list[int] = whole.astype("int64").unique().tolist()
    return ids_


class AccountFrameService(FrameReads):
    def __init__(self, uow: UnitOfWork, accounts: AccountRepository) -> None:
        super().__init__(accounts)
        self.uow, self.accounts = uow, accounts

    @property
    def table(self) -> Table:
        return self.accounts.table

    async def diff(self, frame: pd.DataFrame) -> Plan:
        """Compare an (edited) frame with the database. Writes nothing."""
        return await self._plan(frame, look_up_emails=True)

    async def _plan(self, frame: pd.DataFrame, *, look_up_emails: bool) -> Plan:
        issues = Issues()
        # The frame is checked on a worker thread while the rows it names arrive: both take about as long.
        check = asyncio.to_thread(check_frame, frame, ACCOUNTS, issues, inserting=True)
        checking = asyncio.create_task(check)
        try:
            query = read.with_ids(self.table, named_ids(frame))
            current = await read.read_frame(self.accounts.session, self.table, query)
        finally:
            clean = await checking
        plan = make_plan("account", clean, current.set_index("id", drop=False), ACCOUNTS, issues)
        await self._account_rules(plan, current.set_index("id"), issues, look_up_emails)
        plan.invalid = issues.frame()
        return plan

    async def _account_rules(
        self, plan: Plan, current: pd.DataFrame, issues: Issues, look_up_emails: bool
    ) -> None:
        changed = plan.changes
        if len(changed):
            closed = current.loc[changed["id"].to_numpy(), "status"].to_numpy() == "closed"
            reopen = closed & changed.get("ch_status", False) & (changed["status"] != "closed").to_numpy()
            issues.add(changed.index[reopen], "status", "a closed account cannot be reopened")
            issues.add(changed.index[closed & ~reopen], None, "the account is closed; it cannot be changed")
        if look_up_emails or issues.parts:  # a refused frame names its taken emails in the same error
            await self._emails_taken(plan, issues)

    async def _emails_taken(self, plan: Plan, issues: Issues) -> None:
        """New or changed emails already used by another account (the unique index would refuse them)."""
        wanted = []
        if "email" in plan.inserts:
            wanted.append(
                pd.DataFrame({"email": plan.inserts["email"], "id": pd.NA}).dropna(subset=["email"])
            )
        if "ch_email" in plan.changes:
            wanted.append(plan.changes.loc[plan.changes["ch_email"], ["email", "id"]])
        if not wanted or not sum(len(w) for w in wanted):
            return
        candidates = pd.concat(wanted)
        candidates = candidates.loc[valid_emails(candidates["email"])]
        owner = await self.accounts.owners_of(candidates["email"].unique().tolist())
        taken = candidates.loc[candidates["email"].isin(list(owner))]
        for label, email, id_ in taken[["email", "id"]].itertuples():
            if email in owner and (pd.isna(id_) or int(id_) != owner[email]):
                issues.add([label], "email", f"{email!r} already belongs to account {owner[email]}")

    async def apply(
        self, plan: Plan, *, actor: str, skip_conflicts: bool = False, skip_invalid: bool = False
    ) -> Report:
        """Write a plan in ONE transaction, re-checking versions; refuse it whole on any problem."""
        try:
            return await self._write(plan, actor, skip_conflicts, skip_invalid)
        except UniqueViolation as error:
            if error.diag.constraint_name != "uq_accounts_email":
                raise
            # An email taken since diff() (or never looked up: insert_frame): name every such row.
            issues = Issues()
            await self._emails_taken(without_invalid(plan), issues)
            if not issues.parts:
                raise
            raise ValidationFailed(issue_list(issues.frame())) from None

    @retry_transient
    async def _write(self, plan: Plan, actor: str, skip_conflicts: bool, skip_invalid: bool) -> Report:
        refuse(plan, skip_conflicts, skip_invalid)
        valid = without_invalid(plan)
        changes = valid.changes.loc[~valid.changes.index.isin(valid.conflicts["row"])]
        async with self.uow.atomic():
            session = self.accounts.session
            updated = (
                await write.apply_updates(session, ACCOUNTS, changes, actor, "account")
                if len(changes)
                else []
            )
            if len(updated) != len(changes):
                lost = sorted(set(changes["id"].astype(int)) - set(updated))
                raise Conflict(
                    f"{len(lost)} account(s) changed or closed since diff() (ids {lost[:10]}); "
                    "nothing was written: read them again and re-apply"
                )
            inserts = valid.inserts
            inserted = (
                await write.insert_rows(session, ACCOUNTS, inserts, actor, "account") if len(inserts) else []
            )
        return Report(
            "account",
            inserted=len(inserted),
            updated=len(updated),
            unchanged=len(plan.unchanged),
            skipped_conflicts=len(plan.conflicts),
            skipped_invalid=int(plan.invalid["row"].nunique()),
            ids=inserted,
        )

    async def insert_frame(self, frame: pd.DataFrame, *, actor: str) -> Report:
        """Load new accounts in bulk (rows must not have ids); all or nothing."""
        if "id" in frame.columns and frame["id"].notna().any():
            raise ValidationFailed(Issue(None, "id", "insert_frame() takes new rows only: leave id empty"))
        # A valid frame's emails are not looked up first: the unique index refuses a taken one, and apply()
        # then names every such row. Otherwise a million-email lookup would be paid by every good load.
        return await self.apply(await self._plan(frame, look_up_emails=False), actor=actor)


__all__ = ["ACCOUNTS", "AccountFrameService"]
