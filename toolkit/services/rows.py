"""The writes every resource has, whatever its model: create, update, delete, and frames, each audited.

`Rows` is what both faces call. It takes each operation from the model's own service where the service has
it (accounts close instead of deleting; postings move balances), and otherwise does it here, applying the
resource's rules (its Structs, its frame rules and the service's `check`) in one transaction with its audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit.db import UnitOfWork
from toolkit.entities import Entity
from toolkit.errors import Issue, NotFound, ValidationFailed
from toolkit.frames.plan import Plan, Report
from toolkit.mixins.crud import CRUDMixin
from toolkit.repositories import AuditRepository
from toolkit.services.frame_writes import FrameWrites
from toolkit.services.row_writes import Data, create_rows, delete_row, refusal, update_row

if TYPE_CHECKING:
    from toolkit.resources import Resource


class Rows:
    """One resource's reads and writes for one scope (an HTTP request or a notebook call)."""

    def __init__(
        self,
        resource: Resource,
        service: Any,
        repository: CRUDMixin[Any, Any, Any],
        uow: UnitOfWork,
        audit: AuditRepository,
    ) -> None:
        self.resource, self.service, self.repository, self.uow, self.audit = (
            resource,
            service,
            repository,
            uow,
            audit,
        )
        self.frames = FrameWrites(resource, service, repository, uow)

    @classmethod
    async def of(cls, scope: Any, resource: Resource) -> Rows:
        """The resource's rows in a container scope."""
        return cls(
            resource,
            await scope.get(resource.service),
            await scope.get(resource.repository),
            await scope.get(UnitOfWork),
            await scope.get(AuditRepository),
        )

    def _own(self, operation: str) -> Any:
        if not self.resource.allows(operation):
            raise refusal(self.resource, operation)
        return getattr(self.service, "create_many" if operation == "create" else operation, None)

    def _id(self, id: Any) -> int:
        """The row id as the database takes it: a whole number (an id beyond bigint names no row)."""
        if isinstance(id, bool) or not isinstance(id, Integral):
            raise ValidationFailed(Issue(None, "id", f"expected a whole number, not {id!r}"))
        whole = int(id)
        if not -(2**63) <= whole < 2**63:
            raise NotFound(self.resource.name, whole)
        return whole

    async def get(self, id: int) -> Entity:
        entity: Entity = await self.repository.get(self._id(id))
        return entity

    async def create_many(self, items: Sequence[Data], *, actor: str, many: bool = True) -> list[Entity]:
        """Create rows, all or nothing; a bad one is named by its position (when `many`)."""
        own = self._own("create")
        if own is not None:
            created: list[Entity] = await own(items, actor=actor)
            return created
        rows = [i if many else None for i in range(len(items))]
        return await create_rows(self.resource, self.repository, self.uow, self.audit, items, rows, actor)

    async def update(self, id: int, changes: Data, *, actor: str, version: int | None = None) -> Entity:
        """Change fields of one row; with `version`, refused if someone changed it meanwhile."""
        own = self._own("update")
        if own is not None:
            updated: Entity = await own(self._id(id), changes, actor=actor, version=version)
            return updated
        return await update_row(
            self.resource, self.repository, self.uow, self.audit, self._id(id), changes, actor, version
        )

    async def delete(self, id: int, *, actor: str) -> Entity:
        own = self._own("delete")
        if own is not None:
            deleted: Entity = await own(self._id(id), actor=actor)
            return deleted
        return await delete_row(self.resource, self.repository, self.uow, self.audit, self._id(id), actor)

    async def close(self, id: int, *, actor: str, version: int | None = None) -> Entity:
        self._own("close")
        closed: Entity = await self.service.close(self._id(id), actor=actor, version=version)
        return closed

    async def diff(
        self, frame: pd.DataFrame, *, key: str | Sequence[str] | None = None, insert: bool = True
    ) -> Plan:
        return await self.frames.diff(frame, key=key, insert=insert)

    async def apply(self, plan: Plan, *, actor: str, **skips: bool) -> Report:
        return await self.frames.apply(plan, actor=actor, **skips)

    async def insert_frame(self, frame: pd.DataFrame, *, actor: str) -> Report:
        """New rows in bulk: the service's own bulk path where it has one (postings), else COPY."""
        own = getattr(self.service, "insert_frame", None)
        if own is not None:
            report: Report = await own(frame, actor=actor)
            return report
        return await self.frames.insert_frame(frame, actor=actor)


__all__ = ["Rows"]
