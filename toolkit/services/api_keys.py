"""API keys for the HTTP face: created (secret shown once, optionally expiring), listed, revoked; only a hash
is stored."""

from __future__ import annotations

import builtins
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func

from toolkit.db import UnitOfWork
from toolkit.entities import ApiKey
from toolkit.errors import ApiKeyExpired, Issue, NotFound, ValidationFailed
from toolkit.expiry import expiry
from toolkit.keycache import ApiKeyCache, forget_all_keys, has_expired
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

    async def create(
        self,
        name: str,
        scope: KeyScope | str,
        *,
        actor: str,
        expires: str | datetime | timedelta | None = None,
    ) -> tuple[ApiKey, str]:
        """Create a key, never expiring or refused from `expires` on (see `expiry`); returns it with its
        secret, which is never available again. An expired key of the same name is revoked first."""
        name = name.strip()
        if not name:
            raise ValidationFailed(Issue(None, "name", "must not be blank"))
        try:
            scope = KeyScope(scope)
        except ValueError:
            raise ValidationFailed(Issue(None, "scope", f"{scope!r} is not one of read, write")) from None
        expires_at = None if expires is None else expiry(expires, datetime.now(UTC))
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        values = {"name": name, "scope": scope, "secret_hash": self.hash(secret), "expires_at": expires_at}
        async with self.uow.atomic():
            stale = await self.keys.find_active(name=name)
            if stale is not None and has_expired(stale):
                await self._revoke(stale, actor)  # it frees the name it still holds
            key = await self.keys.create(values)
            changes = {f: {"old": None, "new": values[f]} for f in ("name", "scope", "expires_at")}
            await record_audit(self.audit, actor, "create", "api_key", key.id, changes)
        return key, secret

    async def list(self, *args: Any, **kwargs: Any) -> builtins.list[ApiKey]:
        return await self.keys.list(*args, **kwargs)

    async def revoke(self, name: str, *, actor: str, key_id: int | None = None) -> ApiKey:
        """Revoke the active key called `name` (only if its id is `key_id`, when given): it is refused from
        the next request on."""
        async with self.uow.atomic():
            key = await self.keys.find_active(name=name, **({} if key_id is None else {"id": key_id}))
            if key is None:
                raise NotFound("active API key", repr(name))
            revoked = await self._revoke(key, actor)
        forget_all_keys()
        return revoked

    async def _revoke(self, key: ApiKey, actor: str) -> ApiKey:
        _, revoked = await self.keys.update(key.id, {"revoked_at": func.now()})
        changes = {"revoked_at": {"old": None, "new": revoked.revoked_at}}
        await record_audit(self.audit, actor, "revoke", "api_key", key.id, changes)
        await self.keys.announce_revocation()
        return revoked

    async def authenticate(self, secret: str) -> ApiKey | None:
        """The active key whose secret this is, or None (unknown, malformed or revoked); ApiKeyExpired when
        the key is past its expiry."""
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
        if has_expired(row[0]):
            raise ApiKeyExpired(row[0].name, row[0].expires_at)
        self.cache.put(digest, row[0], epoch)
        return row[0]
