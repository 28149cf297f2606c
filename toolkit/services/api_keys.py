"""API keys for the HTTP face: created (secret shown once), listed, revoked; only a hash is stored."""

from __future__ import annotations

import builtins
import hmac
import secrets
from typing import Any

from sqlalchemy import func

from toolkit.db import UnitOfWork
from toolkit.entities import ApiKey
from toolkit.errors import Issue, NotFound, ValidationFailed
from toolkit.keycache import ApiKeyCache, forget_all_keys
from toolkit.mixins.queries import record_audit
from toolkit.models.enums import KeyScope
from toolkit.repositories import ApiKeyRepository, AuditRepository

SECRET_PREFIX = "qa_"


class ApiKeyService:
    def __init__(
        self,
        uow: UnitOfWork,
        keys: ApiKeyRepository,
        audit: AuditRepository,
        cache: ApiKeyCache,
    ) -> None:
        self.uow, self.keys, self.audit, self.cache = uow, keys, audit, cache

    def hash(self, secret: str) -> str:
        """The stored form of a secret: HMAC-SHA256 keyed with the configured pepper."""
        return self.cache.digest(secret)

    async def create(self, name: str, scope: KeyScope | str, *, actor: str) -> tuple[ApiKey, str]:
        """Create a key; returns it with its secret, which is never available again."""
        name = name.strip()
        if not name:
            raise ValidationFailed(Issue(None, "name", "must not be blank"))
        try:
            scope = KeyScope(scope)
        except ValueError:
            raise ValidationFailed(Issue(None, "scope", f"{scope!r} is not one of read, write")) from None
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        async with self.uow.atomic():
            key = await self.keys.create({"name": name, "scope": scope, "secret_hash": self.hash(secret)})
            changes = {"name": {"old": None, "new": name}, "scope": {"old": None, "new": scope}}
            await record_audit(self.audit, actor, "create", "api_key", key.id, changes)
        return key, secret

    async def list(self, *args: Any, **kwargs: Any) -> builtins.list[ApiKey]:
        return await self.keys.list(*args, **kwargs)

    async def revoke(self, name: str, *, actor: str) -> ApiKey:
        """Revoke the active key called `name`: it is refused from the next request on."""
        async with self.uow.atomic():
            key = await self.keys.find_active(name=name)
            if key is None:
                raise NotFound("active API key", repr(name))
            _, revoked = await self.keys.update(key.id, {"revoked_at": func.now()})
            changes = {"revoked_at": {"old": None, "new": revoked.revoked_at}}
            await record_audit(self.audit, actor, "revoke", "api_key", key.id, changes)
            await self.keys.announce_revocation()
        forget_all_keys()
        return revoked

    async def authenticate(self, secret: str) -> ApiKey | None:
        """The active key whose secret this is, or None (unknown, malformed or revoked)."""
        if not secret.startswith(SECRET_PREFIX) or len(secret) > 128:
            return None
        digest = self.hash(secret)
        cached = self.cache.get(digest)
        if cached is not None:
            return cached
        await self.cache.listen()
        epoch = self.cache.epoch
        async with self.uow.atomic():  # ends at once, so the request holds no connection while it reads
            row = await self.keys.find_active_with_hash(digest)
        if row is None or not hmac.compare_digest(row[1], digest):
            return None
        self.cache.put(digest, row[0], epoch)
        return row[0]
