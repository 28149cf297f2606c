"""API keys on every route: `Authorization: Bearer <key>`; read keys read, write keys also change.

The check runs before every route handler of the app (its `before_request` hook: unlike a guard, it costs no
copy of the handler per request), so a new route is guarded unless it is marked `opt={"open": True}` (health
and the docs only). A route's own `before_request` would replace this one: routes set none (the test that
walks every route would notice).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from wireup.integration.asgi import get_request_container

from toolkit.entities import ApiKey
from toolkit.errors import ApiKeyExpired
from toolkit.keycache import ApiKeyCache
from toolkit.models.enums import KeyScope
from toolkit.services import ApiKeyService

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN: dict[str, Any] = {"open": True}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="queaccount"'}


def bearer_secret(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return secret_of(connection.headers.get("authorization", ""))


def secret_of(authorization: str) -> str | None:
    """The key in an `Authorization: Bearer <key>` header's value, or None."""
    scheme, _, secret = authorization.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def needed_scope(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> KeyScope:
    declared = handler.opt.get("scope")
    if declared is not None:
        return KeyScope(declared)
    return KeyScope.READ if connection.scope.get("method", "GET") in READ_METHODS else KeyScope.WRITE


async def require_api_key(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Before every handler: 401 without a valid active key (saying so when it has expired), 403 when a read
    key asks to write."""
    handler: BaseRouteHandler = connection.scope["route_handler"]
    if handler.opt.get("open"):
        return
    secret = bearer_secret(connection)
    if secret is None:
        raise NotAuthorizedException(
            "an API key is required: send Authorization: Bearer <key>", headers=CHALLENGE
        )
    container = get_request_container()
    key = (await container.get(ApiKeyCache)).known(secret)
    if key is None:
        try:
            key = await (await container.get(ApiKeyService)).authenticate(secret)
        except ApiKeyExpired as expired:
            raise NotAuthorizedException(str(expired), headers=CHALLENGE) from None
    if key is None:
        raise NotAuthorizedException("the API key is unknown or revoked", headers=CHALLENGE)
    connection.state.api_key = key  # named in the access log, refused or not
    if needed_scope(connection, handler) is KeyScope.WRITE and key.scope is not KeyScope.WRITE:
        raise PermissionDeniedException(
            f"the API key {key.name!r} may only read; this route needs a write key"
        )


def actor(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """Who is writing, for the audit log: the API key's name."""
    key: ApiKey = connection.state.api_key
    return key.name
