"""HEAD on every GET route: the GET's status and headers (Content-Length, ETag, Content-Range), no body.

Answered as the GET it names, so a HEAD is authorised, read, cached and compressed exactly as that GET is
(sidecar/auth.py already counts HEAD as a read); only the body is left out. The OpenAPI document lists it
too: `HeadDocumentingConfig` gives every GET operation a HEAD twin with the same parameters, statuses and
headers, and no bodies (Litestar sees GET routes only, since HEAD never reaches its router).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPI, OpenAPIResponse, Operation, PathItem
from litestar.types import ASGIApp, Receive, Send


def answering_head(app: Any) -> ASGIApp:
    """`app`, answering each HEAD request with the headers of the GET of the same URL."""

    async def handle(scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return

        async def headers_only(message: Any) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        scope.setdefault("state", {})  # shared with the copy, so what the GET notes (its key) is seen outside
        await app({**scope, "method": "GET"}, receive, headers_only)

    return handle


def head_of(get: Operation) -> Operation:
    """The HEAD operation answered for a GET one: its parameters, statuses and headers, without bodies."""
    head = Operation(**{f.name: getattr(get, f.name) for f in fields(Operation)})
    head.operation_id = f"{get.operation_id}Head" if get.operation_id else None
    head.summary = f"{get.summary or 'The GET'}: its headers only"
    head.description = "The status and headers of the GET of this URL (Content-Length included), no body."
    head.responses = {
        status: OpenAPIResponse(description=answer.description, headers=answer.headers)
        if isinstance(answer, OpenAPIResponse)
        else answer
        for status, answer in (get.responses or {}).items()
    }
    return head


def with_heads(paths: dict[str, PathItem]) -> None:
    """Give every path's GET operation its HEAD twin (once)."""
    for item in paths.values():
        if item.get is not None and item.head is None:
            item.head = head_of(item.get)


@dataclass
class DocumentWithHeads(OpenAPI):
    """The OpenAPI document, listing the HEAD operation of every GET when it is written out."""

    def to_schema(self) -> dict[str, Any]:
        with_heads(self.paths or {})
        return super().to_schema()


class HeadDocumentingConfig(OpenAPIConfig):
    """Litestar's OpenAPI settings, whose document lists the HEAD of every GET route (answered above)."""

    def to_openapi_schema(self) -> OpenAPI:
        document = super().to_openapi_schema()
        return DocumentWithHeads(**{f.name: getattr(document, f.name) for f in fields(OpenAPI)})
