"""HEAD on every GET route: the GET's status and headers (Content-Length, ETag, Content-Range), no body.

Answered as the GET it names, so a HEAD is authorised, read, cached and compressed exactly as that GET is
(sidecar/auth.py already counts HEAD as a read); only the body is left out.
"""

from __future__ import annotations

from typing import Any

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
