from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from toolkit.models.base import Base, readable_time


class AuditEntryModel(Base):
    """One row per change made through a service: who, what, and each changed field's old and new value.

    A bulk load of new rows (frame inserts) is one row per run of consecutive ids: `entity_id` is the first,
    `last_entity_id` the last, and `changes` the row count and the columns given; the values themselves are
    the rows' first version (later updates are audited with their old values). `last_entity_id` is NULL on
    every other row.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),
        # Only bulk loads have a range; history() finds the load that created a row through this.
        Index(
            "ix_audit_log_entity_last_entity_id",
            "entity",
            "last_entity_id",
            postgresql_where=text("last_entity_id IS NOT NULL"),
        ),
        # The log is appended in time order, so a BRIN index answers time ranges at a fraction of a
        # B-tree's cost per written row.
        Index("ix_audit_log_at", "at", postgresql_using="brin"),
        CheckConstraint("last_entity_id >= entity_id", name="entity_range_ordered"),
        readable_time("at"),
        {"info": {"append_only": True}},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    entity: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[int] = mapped_column(BigInteger)
    last_entity_id: Mapped[int | None] = mapped_column(BigInteger)
    changes: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
