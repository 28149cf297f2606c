"""The writes every resource has, whatever its model: create, update, delete, and frames, each audited.

`Rows` is what both faces call. It takes each operation from the model's own service where the service has
it (accounts close instead of deleting; postings move balances), and otherwise does it here, applying the
resource's rules (its Structs, its frame rules and the service's `check`) in one transaction with its audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from msgspec import Struct

from toolkit.db import UnitOfWork
from toolkit.entities import Entity, changes_of
from toolkit.errors import ChangeRefused, DeleteRefused, ReadOnlyField
from toolkit.frames.plan import Plan, Report
from toolkit.mixins.crud import CRUDMixin
from toolkit.mixins.queries import record_audit
from toolkit.repositories import AuditRepository
from toolkit.retry import retry_transient
from toolkit.services.frame_writes import FrameWrites
from toolkit.services.rules import checked, parse

if TYPE_CHECKING:
    from toolkit.resources import Resource

Data = Struct | dict[str, Any]


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

    async def get(self, id: int) -> Entity:
        entity: Entity = await self.repository.get(id)
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
            updated: Entity = await own(id, changes, actor=actor, version=version)
            return updated
        return await update_row(
            self.resource, self.repository, self.uow, self.audit, id, changes, actor, version
        )

    async def delete(self, id: int, *, actor: str) -> Entity:
        own = self._own("delete")
        if own is not None:
            deleted: Entity = await own(id, actor=actor)
            return deleted
        return await delete_row(self.resource, self.repository, self.uow, self.audit, id, actor)

    async def close(self, id: int, *, actor: str, version: int | None = None) -> Entity:
        self._own("close")
        closed: Entity = await self.service.close(id, actor=actor, version=version)
        return closed

    async def diff(self, frame: pd.DataFrame) -> Plan:
        return await self.frames.diff(frame)

    async def apply(self, plan: Plan, *, actor: str, **skips: bool) -> Report:
        return await self.frames.apply(plan, actor=actor, **skips)

    async def insert_frame(self, frame: pd.DataFrame, *, actor: str) -> Report:
        """New rows in bulk: the service's own bulk path where it has one (postings), else COPY."""
        own = getattr(self.service, "insert_frame", None)
        if own is not None:
            report: Report = await own(frame, actor=actor)
            return report
        return await self.frames.insert_frame(frame, actor=actor)


def refusal(resource: Resource, operation: str) -> ChangeRefused:
    if operation == "delete":
        instead = " (close them instead)" if resource.allows("close") else ""
        return DeleteRefused(f"{resource.path} rows are never deleted{instead}")
    if operation == "close":
        return ChangeRefused(f"{resource.path} rows are not closed")
    if resource.append_only:
        return ChangeRefused(f"{resource.path} are append-only: rows are added, never changed")
    return ChangeRefused(f"{resource.path} rows are written by the toolkit only, never {operation}d")


@retry_transient
async def create_rows(
    resource: Resource,
    repository: CRUDMixin[Any, Any, Any],
    uow: UnitOfWork,
    audit: AuditRepository,
    items: Sequence[Data],
    rows: Sequence[int | None],
    actor: str,
) -> list[Entity]:
    """Rows parsed by the resource's create Struct, checked by its rules, written and audited, all or none."""
    assert resource.create is not None
    parsed = [
        changes_of(parse(resource.create, item, row=row)) for item, row in zip(items, rows, strict=True)
    ]
    created = []
    async with uow.atomic():
        for values in checked(resource.spec, parsed, rows):
            entity = await repository.create(values)
            await record_audit(audit, actor, "create", resource.name, entity.id, created_fields(entity))
            created.append(entity)
    return created


@retry_transient
async def update_row(
    resource: Resource,
    repository: CRUDMixin[Any, Any, Any],
    uow: UnitOfWork,
    audit: AuditRepository,
    id: int,
    changes: Data,
    actor: str,
    version: int | None,
    guard: Any = None,
) -> Entity:
    """One row changed and audited; `guard(current, values)` may refuse it once the row is locked."""
    assert resource.update is not None
    if isinstance(changes, dict):
        refuse_read_only(resource, changes)
    [values] = checked(resource.spec, [changes_of(parse(resource.update, changes))], [None])
    async with uow.atomic():
        if guard is not None:
            guard(await repository.get_for_update(id), values)
        column = resource.version
        before, after = await repository.update(id, values, version=version, version_column=column)
        diff = changed_fields(before, after, [*values, *([column] if column else [])])
        if diff:
            await record_audit(audit, actor, "update", resource.name, id, diff)
    updated: Entity = after
    return updated


async def delete_row(
    resource: Resource,
    repository: CRUDMixin[Any, Any, Any],
    uow: UnitOfWork,
    audit: AuditRepository,
    id: int,
    actor: str,
) -> Entity:
    async with uow.atomic():
        before: Entity = await repository.delete(id)
        gone = {k: {"old": v, "new": None} for k, v in before.to_dict().items()}
        await record_audit(audit, actor, "delete", resource.name, id, gone)
    return before


def refuse_read_only(resource: Resource, values: dict[str, Any], reason: str = "read-only") -> None:
    fixed = ("id", *resource.spec.read_only)
    bad = [k for k in values if k in fixed]
    if bad:
        raise ReadOnlyField(f"{', '.join(bad)} cannot be changed directly ({reason})")


def created_fields(entity: Entity) -> dict[str, Any]:
    return {
        k: {"old": None, "new": v}
        for k, v in entity.to_dict().items()
        if k not in ("created_at", "updated_at")
    }


def changed_fields(before: Entity, after: Entity, fields: Iterable[str]) -> dict[str, Any]:
    return {
        k: {"old": getattr(before, k), "new": getattr(after, k)}
        for k in fields
        if getattr(before, k) != getattr(after, k)
    }


__all__ = ["Rows"]
