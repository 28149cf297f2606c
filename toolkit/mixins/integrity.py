"""Turn database constraint violations into toolkit errors, by the constraint's (conventional) name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from toolkit.errors import Conflict, DuplicateEmail, Issue, NotFound, Overdraft, ValidationFailed

CHECK_FIELDS = {
    "ck_accounts_email_normalised": ("email", "must be stored lower-case"),
    "ck_accounts_email_format": ("email", "is not a valid email address"),
    "ck_accounts_full_name_not_blank": ("full_name", "must not be blank"),
    "ck_accounts_country_format": ("country", "must be two upper-case letters (ISO 3166-1 alpha-2)"),
    "ck_accounts_currency_format": ("currency", "must be three upper-case letters (ISO 4217)"),
    "ck_accounts_account_status": ("status", "must be one of active, suspended, closed"),
    "ck_accounts_account_plan": ("plan", "must be one of free, pro, business"),
    "ck_accounts_version_positive": ("version", "must be at least 1"),
    "ck_transactions_amount_not_zero": ("amount", "must not be zero"),
    "ck_transactions_amount_sign_matches_kind": (
        "amount",
        "sign does not match kind (deposit/refund > 0, withdrawal/fee < 0)",
    ),
    "ck_api_keys_key_scope": ("scope", "must be read or write"),
    "ck_transactions_transaction_kind": (
        "kind",
        "must be one of deposit, withdrawal, fee, refund, adjustment",
    ),
}


def constraint_of(error: DBAPIError) -> str | None:
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def translate(error: IntegrityError, context: dict[str, Any] | None = None) -> Exception:
    """The toolkit error for one IntegrityError (or the error itself when the constraint is unknown)."""
    context = context or {}
    name = constraint_of(error)
    if name == "uq_accounts_email":
        return DuplicateEmail(str(context.get("email", "?")))
    if name == "uq_api_keys_active_name":
        return Conflict(f"an active API key named {context.get('name', '?')!r} already exists")
    if name == "ck_accounts_balance_not_negative":
        return Overdraft(
            context.get("account_id", 0), context.get("balance", "?"), context.get("amount", "?")
        )
    if name == "fk_transactions_account_id_accounts":
        return NotFound("account", context.get("account_id", "?"))
    if name and name in CHECK_FIELDS:
        field, reason = CHECK_FIELDS[name]
        return ValidationFailed(Issue(context.get("row"), field, reason))
    return error


@contextmanager
def translated(**context: Any) -> Iterator[None]:
    """Re-raise constraint violations inside the block as toolkit errors."""
    try:
        yield
    except IntegrityError as error:
        mapped = translate(error, context)
        if mapped is error:
            raise
        raise mapped from error
    except DataError as error:
        reason = str(error.orig).strip().splitlines()[0]
        raise ValidationFailed(Issue(context.get("row"), None, reason)) from error
