from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Identity, Index, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from toolkit.models.account import enum_column
from toolkit.models.base import Base, readable_time
from toolkit.models.enums import KeyScope


class ApiKeyModel(Base):
    """An HTTP API key: only a peppered hash of its secret is stored. Names are unique among active keys; a
    key past its `expires_at` is refused like a revoked one."""

    __tablename__ = "api_keys"
    __table_args__ = (
        Index("uq_api_keys_active_name", "name", unique=True, postgresql_where=text("revoked_at IS NULL")),
        readable_time("created_at"),
        readable_time("revoked_at"),
        readable_time("expires_at"),
        {"info": {"private": True, "never_deleted": True}},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    scope: Mapped[KeyScope] = mapped_column(enum_column(KeyScope, "key_scope"))
    secret_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), info={"set_once": True})
    revoked_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
