"""The ledger's rollup: count and sum of postings per UTC quarter hour and kind, kept by the database.

Nobody writes these tables but the database's own functions (migration 0006): each INSERT on `transactions`
appends its totals per slot to `transaction_slot_deltas` (a statement-level trigger, so concurrent postings
never wait for one another), and a fold moves committed deltas into `transaction_slots`, one row per slot and
kind. The ledger's totals over any span of whole slots are the sum of both tables' rows in it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Identity, Numeric, Text
from sqlalchemy.orm import Mapped, mapped_column

from toolkit.models.base import Base

KEPT = {"info": {"kept_by_database": True}}


class TransactionSlotModel(Base):
    """Folded totals: one row per 15-minute UTC slot and kind that has postings."""

    __tablename__ = "transaction_slots"
    __table_args__ = (KEPT,)

    slot: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[Decimal] = mapped_column(Numeric)


class TransactionSlotDeltaModel(Base):
    """Totals appended by each posting statement, not yet folded into `transaction_slots`."""

    __tablename__ = "transaction_slot_deltas"
    __table_args__ = (KEPT,)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    slot: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[Decimal] = mapped_column(Numeric)
