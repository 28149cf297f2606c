"""Field rules shared by every write path (single rows, frames, HTTP): parse, normalise, validate."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, TypeVar

import msgspec

from toolkit.errors import Issue, ReadOnlyField, ValidationFailed
from toolkit.iso import COUNTRIES, CURRENCIES

T = TypeVar("T")
READ_ONLY = ("id", "balance", "version", "created_at", "updated_at")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PATH = re.compile(r" - at `\$(?:\[\d+\])?\.?([A-Za-z_][\w]*)?.*`$")


def parse(type_: type[T], data: Any, row: int | None = None) -> T:
    """Build a struct from plain data; a bad field becomes ValidationFailed naming row and field."""
    if isinstance(data, type_):
        return data
    try:
        return msgspec.convert(data, type_, strict=False)
    except msgspec.ValidationError as error:
        message = str(error)
        match = _PATH.search(message)
        field = match.group(1) if match else None
        reason = _PATH.sub("", message) if match else message
        raise ValidationFailed(Issue(row, field, reason)) from error


def refuse_read_only(values: Mapping[str, Any], row: int | None = None) -> None:
    bad = [k for k in values if k in READ_ONLY]
    if bad:
        fields = ", ".join(bad)
        raise ReadOnlyField(
            f"{'row ' + str(row) + ': ' if row is not None else ''}{fields} cannot be changed directly"
            " (balances move only by posting transactions; versions and timestamps are kept by the toolkit)"
        )


def has_control_characters(text: str) -> bool:
    """Control and invisible formatting characters (NUL, bidi overrides, ...) have no place in a name."""
    return any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") for c in text)


def account_issues(values: dict[str, Any], row: int | None = None) -> list[Issue]:
    """Normalise account fields in place (email lower-case, codes upper-case) and list what is wrong."""
    issues: list[Issue] = []
    for name in ("email", "full_name"):
        if isinstance(values.get(name), str) and has_control_characters(values[name]):
            issues.append(Issue(row, name, "contains control or invisible formatting characters"))
    if "email" in values and isinstance(values["email"], str):
        values["email"] = values["email"].strip().lower()
        if not EMAIL.match(values["email"]):
            issues.append(Issue(row, "email", f"{values['email']!r} is not a valid email address"))
    if "full_name" in values and isinstance(values["full_name"], str):
        values["full_name"] = values["full_name"].strip()
        if not values["full_name"]:
            issues.append(Issue(row, "full_name", "must not be blank"))
    if "country" in values and isinstance(values["country"], str):
        values["country"] = values["country"].strip().upper()
        if values["country"] not in COUNTRIES:
            issues.append(Issue(row, "country", f"{values['country']!r} is not an ISO 3166-1 alpha-2 code"))
    if "currency" in values and isinstance(values["currency"], str):
        values["currency"] = values["currency"].strip().upper()
        if values["currency"] not in CURRENCIES:
            issues.append(Issue(row, "currency", f"{values['currency']!r} is not an ISO 4217 currency code"))
    return issues


def check_account(values: dict[str, Any], row: int | None = None) -> dict[str, Any]:
    issues = account_issues(values, row)
    if issues:
        raise ValidationFailed(issues)
    return values


MAX_MONEY = Decimal("999999999999.99")


def money_issue(value: Any, field: str, row: int | None = None) -> Issue | None:
    """Money is exact: a finite decimal with at most two places that fits numeric(14,2)."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Issue(row, field, f"{value!r} is not a number")
    if not amount.is_finite():
        return Issue(row, field, f"{value!r} is not a finite amount")
    # Judged by exponent first: abs() of 1e999999999 overflows the decimal context before any comparison.
    if amount.adjusted() > MAX_MONEY.adjusted() or abs(amount) > MAX_MONEY:
        return Issue(row, field, f"{value} is out of range (at most {MAX_MONEY} in absolute value)")
    if amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN):
        return Issue(row, field, f"{value} has more than 2 decimal places")
    return None
