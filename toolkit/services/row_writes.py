"""The generic audited writes of one row: what `Rows` does for a resource whose service has no method of
its own, and what a service may call to do the usual part of its own (accounts do)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from toolkit.db import UnitOfWork
from toolkit.entities import Entity, changes_of
from toolkit.errors import ChangeRefused, DeleteRefused, ReadOnlyField
from toolkit.mixins.crud import CRUDMixin
from toolkit.mixins.queries import record_audit
from toolkit.repositories import AuditRepository
from toolkit.retry import retry_transient
from toolkit.services.rules import checked, parse

if TYPE_CHECKING:
    from toolkit.resources import Resource

Data = Struct | dict[str, Any]


def refusal(resource: Resource, operation: str) -> ChangeRefused:
    """Why `operation` (create, update, delete, close) is not done to this resource's rows."""
    rows = f"{resource.name} rows"
    if operation == "delete":
        instead = ": close them instead (close(id) in a notebook, POST .../close over HTTP)"
        return DeleteRefused(f"{rows} are never deleted{instead if resource.allows('close') else ''}")
    if operation == "close":
        return ChangeRefused(
            f"{rows} are not closed" + (": delete them" if resource.allows("delete") else "")
        )
    if resource.append_only:
        return ChangeRefused(
            f"{rows} are append-only: new ones are added (create, insert_frame), none is changed"
        )
    done = "created" if operation == "create" else "changed"
    return ChangeRefused(f"{rows} are written by the toolkit's services only, never {done} directly")


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


def refuse_read_only(resource: Resource, values: dict[str, Any], reason: str | None = None) -> None:
    """Refuse a change naming the id or a read-only column, saying why when the service knows."""
    fixed = ("id", *resource.spec.read_only)
    bad = [k for k in values if k in fixed]
    if bad:
        said = f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} read-only"
        raise ReadOnlyField(f"{said}: {reason}" if reason else said)


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
