"""msgspec Structs: rows as readers see them (`Account`) and as writers give them (`AccountCreate`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from toolkit.models.enums import AccountStatus, KeyScope, Plan, TransactionKind

# Lengths and formats are the services' rules (services/account_rules.py), checked after normalising
# (" de " is DE) and worded as every other path words them, so they are described here, not enforced.
# The examples are what the OpenAPI document shows.
Email = Annotated[
    str,
    Meta(
        description="an email address of at most 320 characters; stored lower-case",
        examples=["ada@example.com"],
    ),
]
Name = Annotated[
    str,
    Meta(description="1 to 200 characters, no control or invisible characters", examples=["Ada Lovelace"]),
]
Country = Annotated[str, Meta(description="ISO 3166-1 alpha-2, e.g. DE", examples=["DE"])]
Currency = Annotated[str, Meta(description="ISO 4217, e.g. EUR", examples=["EUR"])]
Money = Annotated[
    Decimal, Meta(description='exact amount with at most 2 decimals, e.g. "12.50"', examples=["12.50"])
]
Balance = Annotated[
    Decimal,
    Meta(
        description="exact, in the account's currency; moved only by posting transactions",
        examples=["1250.00"],
    ),
]
Id = Annotated[int, Meta(examples=[42])]
AccountId = Annotated[int, Meta(description="an account id (at least 1)", examples=[42])]
Version = Annotated[int, Meta(description="raised by one on every change; the ETag", examples=[3])]
Moment = Annotated[datetime, Meta(description="ISO 8601, UTC", examples=["2025-03-14T09:26:53.589793Z"])]
Text = Annotated[str, Meta(examples=["March invoice"])]


class Entity(Struct, kw_only=True):
    """Base of the read-side structs: displays readably in Jupyter."""

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__struct_fields__}

    def __repr__(self) -> str:
        """`Account(id=1, status='active', balance=Decimal('12.50'), created_at=2025-03-14 09:26:53+00:00)`:
        enums by value and times with their offset (not `zoneinfo.ZoneInfo(key='Etc/UTC')`)."""
        return f"{type(self).__name__}({', '.join(f'{k}={shown(v)}' for k, v in self.to_dict().items())})"

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th><td>{escape(str(v))}</td></tr>"
            for k, v in self.to_dict().items()
        )
        return f"<table><caption>{type(self).__name__}</caption>{rows}</table>"


def shown(value: Any) -> str:
    """A field's value as a row's repr shows it."""
    if isinstance(value, Enum):
        return repr(value.value)
    if isinstance(value, datetime):
        return str(value)
    return repr(value)


class Account(Entity, kw_only=True):
    id: Id
    email: Email
    full_name: Name
    status: AccountStatus
    plan: Plan
    country: Country
    currency: Currency
    balance: Balance
    created_at: Moment
    updated_at: Moment
    version: Version


class AccountCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    full_name: Name
    country: Country
    plan: Plan = Plan.FREE
    currency: Currency = "EUR"
    status: AccountStatus = AccountStatus.ACTIVE


class AccountUpdate(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    email: Email | UnsetType = UNSET
    full_name: Name | UnsetType = UNSET
    status: AccountStatus | UnsetType = UNSET
    plan: Plan | UnsetType = UNSET
    country: Country | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET


class Transaction(Entity, kw_only=True):
    id: Id
    account_id: AccountId
    kind: TransactionKind
    amount: Money
    description: Text | None
    occurred_at: Moment
    created_at: Moment


class TransactionCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    account_id: AccountId
    kind: TransactionKind
    amount: Money
    description: Text | None = None
    occurred_at: Moment | None = None


class TransactionUpdate(Struct, kw_only=True):
    """The ledger is append-only: there is nothing to update."""


class AuditEntry(Entity, kw_only=True):
    id: Id
    at: Moment
    actor: Annotated[
        str, Meta(description="who changed it: the API key's or the notebook's name", examples=["writer"])
    ]
    action: Annotated[str, Meta(examples=["update"])]
    entity: Annotated[str, Meta(description="the resource's singular", examples=["account"])]
    entity_id: Id
    changes: Annotated[dict[str, Any], Meta(examples=[{"plan": {"old": "free", "new": "pro"}}])]
    last_entity_id: Id | None = None
    """Set on a bulk load only: the load created `entity_id` .. `last_entity_id`."""


class AuditUpdate(Struct, kw_only=True):
    """The audit log is written by services only: there is nothing to update."""


class ApiKey(Entity, kw_only=True):
    """An API key as people see it: never its secret, nor the secret's hash."""

    id: Id
    name: Annotated[str, Meta(examples=["grafana"])]
    scope: KeyScope
    created_at: Moment
    revoked_at: Moment | None
    expires_at: Moment | None = None


class ApiKeyUpdate(Struct, kw_only=True):
    """Keys are not edited: they are created and revoked."""


def changes_of(update: Struct) -> dict[str, Any]:
    """The fields an update struct actually sets."""
    return {f: v for f in update.__struct_fields__ if (v := getattr(update, f)) is not UNSET}


def convert(data: Any, type_: type[Any]) -> Any:
    """Build a struct from plain data, raising msgspec.ValidationError naming the field on bad input."""
    return msgspec.convert(data, type_, strict=False)
