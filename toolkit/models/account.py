from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, Numeric, String, Text, func, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from toolkit.models.base import Base, readable_time
from toolkit.models.enums import AccountStatus, Plan

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def enum_column(enum: type[StrEnum], name: str) -> SAEnum:
    """A text column limited to the enum's values by a CHECK constraint (no native PG type to migrate)."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class AccountModel(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_normalised"),
        CheckConstraint(f"email ~ '{EMAIL_PATTERN}'", name="email_format"),
        CheckConstraint("length(btrim(full_name)) > 0", name="full_name_not_blank"),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_format"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        readable_time("created_at"),
        readable_time("updated_at"),
        # Most accounts are active, and a filter on "active" reads most of the table anyway: the index
        # serves the rare statuses and costs nothing on writes of active accounts.
        Index("ix_accounts_status", "status", postgresql_where=text("status <> 'active'")),
        {"info": {"never_deleted": True}},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    email: Mapped[str] = mapped_column(Text, unique=True)
    full_name: Mapped[str] = mapped_column(Text)
    status: Mapped[AccountStatus] = mapped_column(
        enum_column(AccountStatus, "account_status"), server_default=AccountStatus.ACTIVE.value
    )
    plan: Mapped[Plan] = mapped_column(enum_column(Plan, "account_plan"), server_default=Plan.FREE.value)
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3), server_default="EUR")
    # Moved only by the ledger's trigger: at every moment it is the sum of the account's transactions.
    balance: Mapped[Decimal] = mapped_column(
        Numeric(14, 2), server_default="0", info={"moved_by_database": True}
    )
    created_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), index=True, info={"set_once": True}
    )
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(server_default="1")
