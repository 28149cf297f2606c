"""The sidecar's hottest reads, `GET /v1/<path>/{id}` and `GET /v1/<path>?...` (dashboards poll single
accounts and lists), answered before Litestar's routing.

For the common case (a key already in the process's key cache) this answers the request the way the Litestar
route does, with the same read (`Reads.get`, or for a list `sidecar.reads.read` itself), the same response
(ETag, 304, JSON object or CSV) and the same access-log line, but without the framework's per-request
machinery, which costs more than the query itself. Anything else (no key or one not cached yet, a missing
row, a bad parameter, a database error, a 406) falls through to the Litestar route, which gives the full
answer, the error documents included; the routes stay the ones OpenAPI describes. A request from a browser
on another origin gets the CORS headers Litestar's CORS layer would add.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import psycopg
from litestar import Request
from litestar.config.cors import CORSConfig
from litestar.enums import ScopeType
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send
from wireup import AsyncContainer

from sidecar import caching
from sidecar.auth import secret_of
from sidecar.cors import with_cors
from sidecar.errors import ApiError
from sidecar.grammar import GrammarError
from sidecar.reads import read
from sidecar.responses import Answer, one_row_response
from sidecar.routes.resources import unseen
from toolkit.entities import ApiKey
from toolkit.errors import QueAccountError
from toolkit.keycache import ApiKeyCache
from toolkit.models.enums import KeyScope
from toolkit.reads import Reads
from toolkit.resources import Resource, registered
from toolkit.settings import Settings

WANTED = frozenset({b"accept", b"if-none-match"})
SHAPING = tuple(name.encode() for name in caching.SHAPING_HEADERS)
REVALIDATING = frozenset({*SHAPING, b"if-none-match"})


class RowShortcut:
    """ASGI: answers `GET /v1/<path>/{id}` for a cached key itself and passes everything else to `app`."""

    def __init__(self, app: ASGIApp, container: AsyncContainer, cors: CORSConfig | None = None) -> None:
        self.app = app
        self.container = container
        self.cors = cors
        self.parts: tuple[ApiKeyCache, Reads, Settings] | None = None
        # Resources whose rows every key may read (no read-key filter), by the path before the id.
        self.prefixes: dict[str, Resource] = {
            f"/v1/{r.path}": r for r in registered() if not r.read_key_hides
        }
        self.lists: dict[str, Resource] = {f"/v1/{r.path}": r for r in registered()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET":
            listed = self.lists.get(scope["path"])
            if listed is not None and await self.answer_list(scope, receive, send, listed):
                return
            prefix, _, digits = scope["path"].rpartition("/")
            resource = self.prefixes.get(prefix)
            wellformed = digits.isascii() and digits.isdigit() and len(digits) < 19
            if (
                resource is not None
                and wellformed
                and await self.answer(scope, receive, send, resource, int(digits))
            ):
                return
        await self.app(scope, receive, send)

    async def answer(
        self, scope: HTTPScope, receive: Receive, send: Send, resource: Resource, row_id: int
    ) -> bool:
        """Answer and return True, or return False (having sent nothing) for Litestar to answer."""
        key, reads, settings = await self.key_of(scope)
        if key is None:
            return False
        headers = {name: value.decode("latin-1") for name, value in scope["headers"] if name in WANTED}
        max_age = settings.cache_max_age_s
        try:
            row = await reads.get(resource.repository, row_id)
            tag, accept = headers.get(b"if-none-match", ""), headers.get(b"accept", "")
            response = one_row_response(row, accept, tag, resource.version, max_age)
        except (QueAccountError, ApiError, psycopg.Error):
            return False
        await self.send(scope, receive, send, response, key)
        return True

    async def key_of(self, scope: HTTPScope) -> tuple[ApiKey | None, Reads, Settings]:
        """The request's API key when the key cache knows it (else None: Litestar checks it)."""
        if self.parts is None:
            cache, reads = await self.container.get(ApiKeyCache), await self.container.get(Reads)
            self.parts = (cache, reads, await self.container.get(Settings))
        cache, reads, settings = self.parts
        authorization = next((v for n, v in scope["headers"] if n == b"authorization"), b"")
        secret = secret_of(authorization.decode("latin-1"))
        return (cache.known(secret) if secret is not None else None), reads, settings

    async def answer_list(self, scope: HTTPScope, receive: Receive, send: Send, resource: Resource) -> bool:
        """A list answered by `sidecar.reads.read`, as its route does; False (nothing sent) otherwise."""
        key, reads, settings = await self.key_of(scope)
        if key is None:
            return False
        always = unseen({} if key.scope is KeyScope.WRITE else resource.read_key_hides)
        try:
            response = await self.not_modified(scope, reads, settings, always)
            if response is None:
                request: Request[Any, Any, Any] = Request(scope)
                star = "*" in request.headers.get("if-none-match", "")
                response = await read(request, resource.repository, reads, settings, always, revalidate=star)
        except (QueAccountError, ApiError, GrammarError, psycopg.Error):
            return False
        await self.send(scope, receive, send, response, key)
        return True

    async def not_modified(
        self, scope: HTTPScope, reads: Reads, settings: Settings, always: Hashable
    ) -> ASGIResponse | None:
        """The 304 `sidecar.reads.read` would answer (dashboards poll with If-None-Match), read from the scope
        alone; None when the request has no If-None-Match or it names another tag (the snapshot moved)."""
        found: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in REVALIDATING and name not in found:  # the first of repeated headers, as Litestar's
                found[name] = value.decode("latin-1")
        asked = found.get(b"if-none-match")
        if asked is None or "*" in asked:  # `*` matches any answer: `read` checks the request first
            return None
        shaping = tuple(found.get(name, "") for name in SHAPING)
        tag = caching.tag_of(scope["path"], scope["query_string"], shaping, await reads.snapshot(), always)
        if not caching.matches(asked, tag):
            return None
        return Answer(status=304, headers=caching.headers(tag, settings))

    async def send(
        self, scope: HTTPScope, receive: Receive, send: Send, response: ASGIResponse, key: ApiKey
    ) -> None:
        origin = next((v.decode("latin-1") for n, v in scope["headers"] if n == b"origin"), "")
        scope.setdefault("state", {})["api_key"] = key  # the access log names it
        await response(scope, receive, with_cors(send, self.cors, origin))
