"""`X-Read-From` and `X-Replica-Lag`: which server answered a request's reads, when reads go to standbys.

`X-Read-From: standby` when every read of the request was answered by a hot standby (the server says so on
the connection: PostgreSQL's `in_hot_standby`, what `pg_is_in_recovery()` returns), `primary` when one was
answered by the primary (no standby accepted a connection). `X-Replica-Lag` is the standby's replay lag in
seconds, measured at most a second before. Requests that read nothing through the read pool (writes, health)
carry neither. Only installed when `QUEACCOUNT_READ_DATABASE_URL` names a standby.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from toolkit.replicas import noting_reads


def noting_servers(app: ASGIApp) -> ASGIApp:
    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        with noting_reads() as served:

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start" and served.standby is not None:
                    extra = [(b"x-read-from", b"standby" if served.standby else b"primary")]
                    if served.standby and served.lag_s is not None:
                        extra.append((b"x-replica-lag", f"{served.lag_s:.3f}".encode()))
                    message = {**message, "headers": [*message.get("headers", ()), *extra]}
                await send(message)

            await app(scope, receive, sending)

    return handle
