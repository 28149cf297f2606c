"""Query mixins: what each model adds to the generic CRUD vocabulary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit import entities as e
from toolkit.mixins import slots
from toolkit.mixins.crud import CRUDMixin
from toolkit.mixins.series import SeriesQueries
from toolkit.models import AccountModel, ApiKeyModel, AuditEntryModel, TransactionModel


class AccountQueries(SeriesQueries[AccountModel, e.Account, e.AccountUpdate]):
    model = AccountModel
    entity = e.Account
    name = "account"

    def _get_query(self, *args: ColumnElement[bool], **kwargs: Any) -> Select[Any]:
        if "email" in kwargs and isinstance(kwargs["email"], str):
            kwargs["email"] = kwargs["email"].strip().lower()
        return super()._get_query(*args, **kwargs)

    async def totals_by(
        self, group_by: list[str], *where: ColumnElement[bool], limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Count and total balance of the matching accounts per combination of the `group_by` columns,
        in the order of those columns (`limit` and `offset` page through the groups)."""
        groups = [self.column(name) for name in group_by]
        no_money = cast(0, self.table.c.balance.type)  # "0.00", as any other total, not "0"
        total = func.coalesce(func.sum(self.table.c.balance), no_money).label("total_balance")
        query = select(*groups, func.count().label("count"), total).where(*where)
        query = query.group_by(*groups).order_by(*groups).limit(limit).offset(offset)
        return [dict(row._mapping) for row in await self.session.execute(query)]


# The posting lock's key ("qa-post"): a transaction-level advisory lock, see `posting_lock`.
POSTING_LOCK_KEY = int.from_bytes(b"qa-post", "big")


async def posting_lock(session: AsyncSession, *, alone: bool) -> None:
    """Hold the posting lock until the transaction ends: shared by postings that lock their accounts in id
    order first (any number of them at once), `alone` by a bulk post that lets its balance UPDATE lock them
    in whatever order it meets them. So no two postings ever wait for each other in a cycle."""
    take = func.pg_advisory_xact_lock if alone else func.pg_advisory_xact_lock_shared
    await session.execute(select(take(POSTING_LOCK_KEY)))


class TransactionQueries(SeriesQueries[TransactionModel, e.Transaction, e.TransactionUpdate]):
    model = TransactionModel
    entity = e.Transaction
    name = "transaction"

    async def hold_posting_lock(self) -> None:
        """The posting lock, shared (`posting_lock`): taken before locking several accounts in id order."""
        await posting_lock(self.session, alone=False)

    async def sum_for(self, account_id: int) -> Decimal:
        query = select(func.coalesce(func.sum(self.table.c.amount), 0)).where(
            self.table.c.account_id == account_id
        )
        return Decimal((await self.session.execute(query)).scalar_one())

    async def slot_series(
        self, by_kind: bool, bounds: list[datetime], where: Sequence[ColumnElement[bool]] = ()
    ) -> list[dict[str, Any]] | None:
        """`series()`'s rows of the postings from the rollup the database keeps (migration 0006), or None
        when the rollup cannot give them exactly (bounds off its quarter hours, a filter on another column
        than kind)."""
        return await slots.series(self.session, by_kind, bounds, where)


class AuditQueries(CRUDMixin[AuditEntryModel, e.AuditEntry, e.AuditUpdate]):
    model = AuditEntryModel
    entity = e.AuditEntry
    name = "audit entry"

    def _get_query(self, *args: ColumnElement[bool], about: int | None = None, **kwargs: Any) -> Select[Any]:
        """`about=42` (with `entity="account"`): the rows about one entity id, the bulk load that created it
        included (`entity_id=42` matches the column only)."""
        if about is not None:
            args = (*args, self.about(about))
        return super()._get_query(*args, **kwargs)

    def ordering(self, order_by: Any) -> list[ColumnElement[Any]]:
        return super().ordering(order_by if order_by is not None else "id")

    @classmethod
    def about(cls, entity_id: int) -> ColumnElement[bool]:
        """Rows about one entity: its own, and the bulk load whose id range holds it."""
        c = cls.model_table().c
        in_load = and_(c.last_entity_id.is_not(None), c.last_entity_id >= entity_id, c.entity_id <= entity_id)
        return or_(c.entity_id == entity_id, in_load)


class ApiKeyQueries(CRUDMixin[ApiKeyModel, e.ApiKey, e.ApiKeyUpdate]):
    model = ApiKeyModel
    entity = e.ApiKey
    name = "API key"

    def to_entity(self, row: Any) -> e.ApiKey:
        fields = e.ApiKey.__struct_fields__
        return e.ApiKey(**{k: v for k, v in row._mapping.items() if k in fields})

    async def find_active(self, **equals: Any) -> e.ApiKey | None:
        """The one active (not revoked) key with these column values, or None."""
        query = self._get_query(self.table.c.revoked_at.is_(None), **equals)
        row = (await self.session.execute(query)).first()
        return None if row is None else self.to_entity(row)

    async def find_active_with_hash(self, digest: str) -> tuple[e.ApiKey, str] | None:
        """The active key stored under `digest`, with the stored hash (for a constant-time compare)."""
        query = self._get_query(self.table.c.revoked_at.is_(None), secret_hash=digest)
        row = (await self.session.execute(query)).first()
        return None if row is None else (self.to_entity(row), row.secret_hash)

    async def announce_revocation(self) -> None:
        """Tell every listening process, when this transaction commits, to forget the keys it cached."""
        from toolkit.keycache import CHANNEL

        await self.session.execute(select(func.pg_notify(CHANNEL, "revoked")))


async def record_audit(
    audit: AuditQueries, actor: str, action: str, entity: str, entity_id: int, changes: dict[str, Any]
) -> None:
    """Write one audit row; values are stored as JSON (money and times as strings)."""
    await audit.create(
        {
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "changes": msgspec.to_builtins(changes, builtin_types=()),
        }
    )
