"""One access-log line per request: method, path (what is not printable percent-encoded), status, time and
the API key's name. Never the query string (it may hold emails) nor any header (the Authorization header
holds the secret).

It wraps the whole app, routing included, so answers Litestar's router gives by itself (404, 405) and those
of the row shortcut get their line too."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import quote

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from uvicorn.logging import DefaultFormatter

log = logging.getLogger("sidecar.access")
LINE = "%s %s %s %.1fms key=%s"
PLAIN = "%(levelprefix)s %(message)s"  # uvicorn's default format, which `sidecar serve` logs with


class AccessLogMiddleware:
    """ASGI: logs every HTTP request `app` answers; the key is the one the API-key check put in the state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        await self.log_request(scope, receive, send)

    async def log_request(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        started, status = time.perf_counter(), 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            key: Any = scope.get("state", {}).get("api_key")
            note(scope, status, started, key.name if key is not None else "-")


def note(scope: HTTPScope, status: int, started: float, key_name: str) -> None:
    """The access-log line of one answered request: `log.info(LINE, ...)` without looking up the caller's
    frame (the record names this function), the one part of logging a line that depends on nothing here."""
    if log.isEnabledFor(logging.INFO):
        took = (time.perf_counter() - started) * 1000
        given = (scope["method"], printable(scope["path"]), status, took, printable(key_name))
        log.handle(log.makeRecord(log.name, logging.INFO, __file__, NOTE_LINE, LINE, given, None, "note"))


NOTE_LINE = note.__code__.co_firstlineno


def printable(text: str) -> str:
    """`text` for a log line: a character that is not printable (a line break, an escape, U+2028) is
    percent-encoded, so a request's path can neither forge a line nor drive a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else quote(c) for c in text)


class LineFormatter(DefaultFormatter):
    """uvicorn's default formatter, writing the same lines without copying every record first (uvicorn
    copies it to add the level prefix, which only colours would need)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        if self.use_colors or self._fmt != PLAIN:
            return super().formatMessage(record)
        return f"{record.levelname}:{' ' * (8 - len(record.levelname))} {record.message}"
