"""Turn database constraint violations into toolkit errors, by the constraint's (conventional) name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

from toolkit.errors import (
    READABLE_YEARS,
    AccountClosed,
    Conflict,
    DuplicateEmail,
    Issue,
    NotFound,
    NotPermitted,
    Overdraft,
    ReopenRefused,
    ValidationFailed,
    currency_fixed,
    driver_reason,
)

INSUFFICIENT_PRIVILEGE = "42501"

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


def constraint_of(error: Exception) -> str | None:
    diag = getattr(driver_error(error), "diag", None)
    return getattr(diag, "constraint_name", None)


def driver_error(error: Exception) -> Exception:
    """The driver's own exception: SQLAlchemy keeps it in `.orig`; psycopg's are their own."""
    orig = getattr(error, "orig", None)
    return orig if isinstance(orig, Exception) else error


def translate(error: Exception, context: dict[str, Any] | None = None) -> Exception:
    """The toolkit error for one constraint violation, from SQLAlchemy or psycopg (or the error itself when
    the constraint is unknown)."""
    context = context or {}
    name = constraint_of(error)
    if name == "uq_accounts_email":
        return DuplicateEmail(str(context.get("email", "?")))
    if name == "uq_api_keys_active_name":
        return Conflict(f"an active API key named {context.get('name', '?')!r} already exists")
    if name == "ck_accounts_balance_not_negative":
        return Overdraft(
            context.get("account_id", failing_row_id(error)), context.get("balance"), context.get("amount")
        )
    if name == "fk_transactions_account_id_accounts":
        return NotFound("account", context.get("account_id", "?"))
    if name == "ck_transactions_account_open":
        return AccountClosed(account_of(error, context))
    if name == "ck_accounts_never_reopened":
        return ReopenRefused(account_of(error, context))
    if name == "ck_api_keys_stay_revoked":
        return Conflict(str(driver_error(error)).splitlines()[0])
    if name == "ck_accounts_currency_fixed_while_funded":
        return ValidationFailed(
            Issue(context.get("row"), "currency", currency_fixed(account_of(error, context)))
        )
    if name and name.endswith("_readable") and (column := readable_column(error, name)):
        return ValidationFailed(Issue(context.get("row"), column, READABLE_YEARS))
    if name and name in CHECK_FIELDS:
        field, reason = CHECK_FIELDS[name]
        return ValidationFailed(Issue(context.get("row"), field, reason))
    return by_kind(error, context.get("row"))


def by_kind(error: Exception, row: Any) -> Exception:
    """A violation of a constraint no rule above names (a model you added): by its kind, with the database's
    own detail (`Key (account_id, title)=(1, Plans) already exists.`)."""
    diag = getattr(driver_error(error), "diag", None)
    code = getattr(driver_error(error), "sqlstate", None)
    detail = (getattr(diag, "message_detail", None) or "").strip()
    column = getattr(diag, "column_name", None)
    if code == "23505":
        return Conflict(
            f"{detail or 'a row with these values already exists'} (constraint {constraint_of(error)})"
        )
    if code == "23503":
        return ValidationFailed(
            Issue(row, key_columns(detail) or None, detail or "refers to a row that does not exist")
        )
    if code == "23502":
        return ValidationFailed(Issue(row, column, "is required (found NULL)"))
    if code == "23514":
        return ValidationFailed(Issue(row, column, f"breaks the rule {constraint_of(error)}"))
    return error


def failing_row_id(error: Exception) -> Any:
    """The id (first column) of the row a check refused: `Failing row contains (42, ...)`, else "?"."""
    detail = getattr(getattr(driver_error(error), "diag", None), "message_detail", None) or ""
    first = detail.partition("Failing row contains (")[2].partition(",")[0]
    return int(first) if first.isdigit() else "?"


def readable_column(error: Exception, name: str) -> str | None:
    """`occurred_at` of `ck_transactions_occurred_at_readable` (models.base.readable_time), the table being
    the one the database names."""
    table = getattr(getattr(driver_error(error), "diag", None), "table_name", None)
    prefix = f"ck_{table}_"
    return name.removeprefix(prefix).removesuffix("_readable") if table and name.startswith(prefix) else None


def key_columns(detail: str) -> str:
    """`account_id` from `Key (account_id)=(9) is not present ...`."""
    return detail.partition("(")[2].partition(")")[0] if detail.startswith("Key (") else ""


def account_of(error: Exception, context: dict[str, Any]) -> Any:
    """The account id a trigger's message names ("account 42 is closed ..."), else the caller's."""
    words = str(driver_error(error)).split()
    return (
        int(words[1])
        if len(words) > 1 and words[0] == "account" and words[1].isdigit()
        else context.get("account_id", "?")
    )


def refused(error: DBAPIError) -> NotPermitted | None:
    """The toolkit error for a statement the role may not run, else None."""
    if getattr(error.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
        return None
    return NotPermitted(
        f"the database refused it: {driver_reason(error)} (a balance moves only by posting transactions;"
        " the ledger and the audit log are append-only; the schema changes only by migrations)"
    )


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
    except ProgrammingError as error:
        not_permitted = refused(error)
        if not_permitted is None:
            raise
        raise not_permitted from error
