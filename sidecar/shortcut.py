"""The sidecar's hottest read, `GET /v1/<path>/{id}` (dashboards poll single accounts), answered before
Litestar's routing.

Dashboards poll single accounts far more than anything else. For the common case (a key already in the
process's key cache) this answers the request the way the Litestar route does, with the same read
(`Reads.get`), the same response (`one_row_response`: ETag, 304, JSON object or CSV) and the same access-log
line, but without the framework's per-request machinery, which costs more than the query itself. Anything
else (no key or one not cached yet, a missing row, a database error, a 406) falls through to the Litestar
route, which gives the full answer, the error documents included; the route stays the one OpenAPI describes.
"""

from __future__ import annotations

import time

import psycopg
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send
from wireup import AsyncContainer

from sidecar.access_log import note
from sidecar.auth import secret_of
from sidecar.errors import ApiError
from sidecar.responses import one_row_response
from toolkit.errors import QueAccountError
from toolkit.keycache import ApiKeyCache
from toolkit.reads import Reads
from toolkit.resources import Resource, registered
from toolkit.settings import Settings

WANTED = {b"authorization": "", b"accept": "", b"if-none-match": ""}


class RowShortcut:
    """ASGI: answers `GET /v1/<path>/{id}` for a cached key itself and passes everything else to `app`."""

    def __init__(self, app: ASGIApp, container: AsyncContainer) -> None:
        self.app = app
        self.container = container
        self.parts: tuple[ApiKeyCache, Reads, int] | None = None
        # Resources whose rows every key may read (no read-key filter), by the path before the id.
        self.prefixes: dict[str, Resource] = {
            f"/v1/{r.path}": r for r in registered() if not r.read_key_hides
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET":
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
        started = time.perf_counter()
        if self.parts is None:
            settings = await self.container.get(Settings)
            cache = await self.container.get(ApiKeyCache)
            self.parts = (cache, await self.container.get(Reads), settings.cache_max_age_s)
        cache, reads, max_age = self.parts
        headers = dict(WANTED)
        for name, value in scope["headers"]:
            if name in headers:
                headers[name] = value.decode("latin-1")
        secret = secret_of(headers[b"authorization"])
        key = cache.known(secret) if secret is not None else None
        if key is None:
            return False
        try:
            row = await reads.get(resource.repository, row_id)
            tag = headers[b"if-none-match"]
            response = one_row_response(row, headers[b"accept"], tag, resource.version, max_age)
        except (QueAccountError, ApiError, psycopg.Error):
            return False
        await response(scope, receive, send)
        note(scope, response.status_code, started, key.name)
        return True
