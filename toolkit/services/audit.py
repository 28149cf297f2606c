"""The audit trail, read-only: services write it, people read it."""

from __future__ import annotations

import builtins
from typing import Any

from toolkit.entities import AuditEntry
from toolkit.repositories import AuditRepository


class AuditService:
    def __init__(self, audit: AuditRepository) -> None:
        self.audit = audit

    async def list(self, *args: Any, **kwargs: Any) -> builtins.list[AuditEntry]:
        return await self.audit.list(*args, **kwargs)

    async def count(self, *args: Any, **kwargs: Any) -> int:
        return await self.audit.count(*args, **kwargs)

    async def history(self, entity: str, entity_id: int) -> builtins.list[AuditEntry]:
        """Every change to one row, oldest first, with the bulk load that created it (if one did)."""
        return await self.audit.list(self.audit.about(entity_id), entity=entity)
