"""brotli or gzip for JSON and CSV answers past a size, when the client's Accept-Encoding takes it.

An ASGI wrapper round the whole app (the row shortcut included, so both paths answer alike). Bodies sent in
one message are compressed whole; a streamed body passes as it is. brotli (the `brotli` package, a
dependency) is chosen when the client takes it at least as gladly as gzip: browsers send both, and its
answers are smaller at a like cost. A client that takes either gets `Vary: Accept-Encoding` on every JSON or
CSV answer, compressed or not, so a shared cache keeps the versions apart; one that takes neither is
answered untouched (an uncompressed answer suits every client).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

from litestar.types import ASGIApp, Receive, Send

try:
    import brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - an install without it answers gzip only
    brotli = None

COMPRESSIBLE = (b"application/json", b"text/csv", b"application/vnd.pgrst")
GZIP_LEVEL = 5  # most of level 9's saving on JSON, at a fraction of its time
BROTLI_QUALITY = (
    4  # a fifth smaller than gzip level 5 on a JSON page, for a third more time (11 is far slower)
)
CODERS: dict[bytes, Callable[[bytes], bytes]] = {
    b"gzip": lambda body: gzip.compress(body, GZIP_LEVEL, mtime=0)
}
if brotli is not None:
    CODERS[b"br"] = lambda body: brotli.compress(body, brotli.MODE_TEXT, BROTLI_QUALITY)


def coding_for(accept_encoding: bytes) -> bytes | None:
    """The coding to answer in: `br` when taken (installed, and not below gzip's quality), else `gzip`
    when taken (`*` counts for a coding not named; `q=0` refuses), else None."""
    qualities: dict[bytes, float] = {}
    for item in accept_encoding.lower().split(b","):
        coding, *params = (part.strip() for part in item.split(b";"))
        qualities[coding] = next((quality(p[2:]) for p in params if p.startswith(b"q=")), 1.0)
    taken = {c: qualities.get(c, qualities.get(b"*", 0.0)) for c in CODERS}
    best = max(taken, key=lambda c: (taken[c], c == b"br"))
    return best if taken[best] > 0 else None


def quality(raw: str | bytes) -> float:
    """A `q=` weight of an Accept or Accept-Encoding item: 0 (refused) when it is not a number."""
    try:
        return float(raw)
    except ValueError:
        return 0.0


def compressed(app: ASGIApp, min_bytes: int) -> ASGIApp:
    """`app` with its JSON and CSV bodies of `min_bytes` or more compressed for clients that accept it."""

    async def handle(scope: Any, receive: Receive, send: Send) -> None:
        asked = None
        if scope["type"] == "http":
            asked = next((v for n, v in scope["headers"] if n == b"accept-encoding"), None)
        coding = coding_for(asked) if asked is not None else None
        if coding is None:
            await app(scope, receive, send)
            return
        encode = CODERS[coding]
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
                    body = encode(body)
                    kept = [(n, v) for n, v in start["headers"] if n.lower() != b"content-length"]
                    kept += [(b"content-encoding", coding), (b"content-length", str(len(body)).encode())]
                    start = {**start, "headers": kept}
                    message = {**message, "body": body}
                await send(start)
            await send(message)

        await app(scope, receive, send_compressed)

    return handle
