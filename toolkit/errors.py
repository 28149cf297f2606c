"""Toolkit errors: every rule a service enforces has its own type and a readable message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any


class QueAccountError(Exception):
    """Base of every error the toolkit raises on purpose."""


class NotFound(QueAccountError):
    """The requested row does not exist."""

    def __init__(self, entity: str, entity_id: Any) -> None:
        super().__init__(f"{entity} {entity_id} does not exist")
        self.entity, self.entity_id = entity, entity_id


class Conflict(QueAccountError):
    """The change collides with the current state of the database."""


class DuplicateEmail(Conflict):
    def __init__(self, email: str) -> None:
        super().__init__(f"an account with email {email!r} already exists")
        self.email = email


class StaleVersion(Conflict):
    def __init__(self, entity: str, entity_id: Any, expected: int, current: int) -> None:
        super().__init__(
            f"{entity} {entity_id} was changed by someone else: you edited version {expected}, "
            f"the database has version {current}; re-read it and apply your change again"
        )
        self.entity, self.entity_id, self.expected, self.current = entity, entity_id, expected, current


class Overdraft(Conflict):
    def __init__(self, account_id: Any, balance: Any = None, amount: Any = None) -> None:
        # A statement of many postings (SQL, a frame) is refused by the database, which names the account.
        what = "a posting" if amount is None else f"posting {amount}"
        its = "its balance" if balance is None else f"its balance {balance}"
        super().__init__(f"{what} to account {account_id} would take {its} below zero; nothing was written")
        self.account_id, self.balance, self.amount = account_id, balance, amount


class AccountClosed(Conflict):
    def __init__(self, account_id: int, doing: str = "post to") -> None:
        super().__init__(f"account {account_id} is closed; cannot {doing} a closed account")
        self.account_id = account_id


class ReopenRefused(AccountClosed):
    def __init__(self, account_id: int) -> None:
        super().__init__(account_id, doing="reopen")


# What Python's datetime, and so every reader here (entities, the HTTP API), can hold of a timestamp.
READABLE_YEARS = "must fall within the years 1 to 9999 (UTC)"


def currency_fixed(account: Any) -> str:
    """Why a funded account's currency stays (a balance is an amount in its account's currency)."""
    return f"account {account} holds money: its currency cannot change until its balance is 0"


class ApiKeyExpired(QueAccountError):
    """An API key was presented after its expiry: it is refused like a revoked one, with this message."""

    def __init__(self, name: str, expires_at: Any) -> None:
        when = expires_at.astimezone(UTC)
        super().__init__(f"the API key {name!r} expired at {when:%Y-%m-%d %H:%M:%S} UTC")
        self.name, self.expires_at = name, expires_at


class ReadOnlyField(QueAccountError):
    """A read-only column (balance, version, timestamps) was given a new value."""


class ChangeRefused(QueAccountError):
    """Rows of this kind are not written this way (the ledger is append-only; services write the audit)."""


class NotAResource(ChangeRefused):
    """A table whose repository has no resource is read with frame() only."""


class DeleteRefused(ChangeRefused):
    """Rows of this kind are never deleted (accounts are closed; the ledger is append-only)."""


class NotPermitted(QueAccountError):
    """The database refused the toolkit's role this statement: a column only the database moves (a balance),
    a table that is append-only, or anything but rows (DDL, TRUNCATE, server files and programs)."""


class ReadOnlyQuery(QueAccountError):
    """A write was attempted in a read-only query."""


class Unreadable(QueAccountError):
    """A stored value a frame cannot hold (a timestamp of `'infinity'`); the message names its column."""


class MissingExtra(QueAccountError, ImportError):
    """An optional part of the toolkit was used without its extra installed; the message says how."""


class DatabaseUnavailable(QueAccountError):
    """The database cannot be reached; the message names it with the password masked."""


class DatabaseBusy(DatabaseUnavailable):
    """The database is up but takes no more connections for now (every slot is in use): try again shortly."""


class UnknownRevision(QueAccountError):
    """The database is at a migration this code has no file for: the code is older than the database."""

    def __init__(self, revisions: list[str]) -> None:
        self.revisions = revisions
        which = "revision " if len(revisions) == 1 else "revisions "
        that = "that migration" if len(revisions) == 1 else "those migrations"
        super().__init__(
            f"the database is at {which}{', '.join(revisions)}, which this code does not know: "
            f"the code is older than the database (use a checkout that has {that})"
        )


class DatabaseError(QueAccountError):
    """The database refused a statement: its own message, and its SQLSTATE (`sqlstate`)."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def driver_reason(error: BaseException) -> str:
    """The first line of the database driver's message (SQLAlchemy keeps it in `.orig`), else the type."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


@dataclass(frozen=True)
class Issue:
    """One problem with one field of one input row."""

    row: Any  # a frame's index label, a list position, or None for the whole input
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where) or 'input'}: {self.reason}"


class ValidationFailed(QueAccountError):
    """Input was refused; `issues` names each row, field and reason. Nothing was written."""

    def __init__(self, issues: list[Issue] | Issue, *, limit: int = 10) -> None:
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        shown = "; ".join(str(i) for i in self.issues[:limit])
        more = len(self.issues) - limit
        tail = f" (and {more} more)" if more > 0 else ""
        super().__init__(f"invalid input, nothing was written: {shown}{tail}")
