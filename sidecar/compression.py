"""gzip for JSON and CSV answers past a size, when the client's Accept-Encoding takes it.

An ASGI wrapper round the whole app (the row shortcut included, so both paths answer alike). Bodies sent in
one message are compressed whole; a streamed body passes as it is. A client that takes gzip gets
`Vary: Accept-Encoding` on every JSON or CSV answer, compressed or not, so a shared cache keeps the two
apart; one that does not is answered untouched (an uncompressed answer suits every client). Brotli would need
a package this project does not carry; gzip is what every client takes.
"""

from __future__ import annotations

import gzip
from typing import Any

from litestar.types import ASGIApp, Receive, Send

COMPRESSIBLE = (b"application/json", b"text/csv", b"application/vnd.pgrst")
LEVEL = 5  # most of level 9's saving on JSON, at a fraction of its time


def takes_gzip(accept_encoding: bytes) -> bool:
    """Whether an Accept-Encoding value allows gzip (`gzip`, or `*` when gzip is not named; not `q=0`)."""
    qualities: dict[bytes, float] = {}
    for item in accept_encoding.lower().split(b","):
        coding, *params = (part.strip() for part in item.split(b";"))
        qualities[coding] = next((quality(p[2:]) for p in params if p.startswith(b"q=")), 1.0)
    return qualities.get(b"gzip", qualities.get(b"*", 0.0)) > 0


def quality(raw: bytes) -> float:
    try:
        return float(raw)
    except ValueError:
        return 0.0


def compressed(app: ASGIApp, min_bytes: int) -> ASGIApp:
    """`app` with its JSON and CSV bodies of `min_bytes` or more gzipped for clients that accept it."""

    async def handle(scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(
            n == b"accept-encoding" and takes_gzip(v) for n, v in scope["headers"]
        ):
            await app(scope, receive, send)
            return
        held: list[Any] = []

        async def send_compressed(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                kind = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                encoded = any(n.lower() == b"content-encoding" for n, _ in headers)
                if not kind.startswith(COMPRESSIBLE) or encoded:
                    await send(message)
                    return
                headers.append((b"vary", b"Accept-Encoding"))
                held.append({**message, "headers": headers})
                return
            elif message["type"] == "http.response.body" and held:
                start = held.pop()
                body = message.get("body", b"")
                if len(body) >= min_bytes and not message.get("more_body", False):
                    body = gzip.compress(body, LEVEL, mtime=0)
                    kept = [(n, v) for n, v in start["headers"] if n.lower() != b"content-length"]
                    kept += [(b"content-encoding", b"gzip"), (b"content-length", str(len(body)).encode())]
                    start = {**start, "headers": kept}
                    message = {**message, "body": body}
                await send(start)
            await send(message)

        await app(scope, receive, send_compressed)

    return handle
