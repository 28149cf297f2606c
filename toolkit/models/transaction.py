from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Index, Numeric, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from toolkit.models.account import enum_column
from toolkit.models.base import Base, readable_time
from toolkit.models.enums import TransactionKind


class TransactionModel(Base):
    """The ledger: append-only (triggers refuse UPDATE, DELETE and TRUNCATE in the database); each insert
    moves its accounts' balances (a trigger of the database's, in the same statement)."""

    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint(
            "(kind IN ('deposit', 'refund') AND amount > 0)"
            " OR (kind IN ('withdrawal', 'fee') AND amount < 0)"
            " OR kind = 'adjustment'",
            name="amount_sign_matches_kind",
        ),
        readable_time("occurred_at"),
        readable_time("created_at"),
        Index("ix_transactions_account_id_occurred_at", "account_id", "occurred_at"),
        {"info": {"append_only": True}},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accounts.id", ondelete="RESTRICT"))
    kind: Mapped[TransactionKind] = mapped_column(enum_column(TransactionKind, "transaction_kind"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    description: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
