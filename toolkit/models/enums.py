"""The closed vocabularies of the account domain."""

from enum import StrEnum


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Plan(StrEnum):
    FREE = "free"
    PRO = "pro"
    BUSINESS = "business"


class TransactionKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    FEE = "fee"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


class KeyScope(StrEnum):
    """What an API key may do: `read` (GET) or `write` (GET and every change)."""

    READ = "read"
    WRITE = "write"


POSITIVE_KINDS = frozenset({TransactionKind.DEPOSIT, TransactionKind.REFUND})
NEGATIVE_KINDS = frozenset({TransactionKind.WITHDRAWAL, TransactionKind.FEE})
