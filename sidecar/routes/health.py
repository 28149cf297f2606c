"""Open routes for orchestrators and load balancers: liveness (the process answers) and readiness (this host
should be sent requests: not draining, the primary reachable and migrated to head).

Readiness needs the primary, not the standbys: every write and every API-key lookup the key cache cannot
answer goes there, and the cache only answers while its LISTEN connection on the primary is up. A standby
that is down does not make a host unready: its reads go to the primary (toolkit/replicas.py), and the answer
says where reads go and how far the standby is behind.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from litestar import Response, get
from wireup import Injected
from wireup.integration.asgi import inject

from sidecar.auth import OPEN
from sidecar.errors import RETRY_AFTER_S
from toolkit import migrations
from toolkit.db import Database
from toolkit.deadline import answered_within
from toolkit.errors import driver_reason

READY_TIMEOUT_S = 1.0  # the database's part of the answer; the whole answer comes within 2 s


class Draining:
    """Set when the process was asked to stop: readiness is 503 from then on, while requests in flight (and
    those a load balancer still sends before it notices) are served."""

    def __init__(self) -> None:
        self.since: float | None = None

    def start(self) -> None:
        if self.since is None:
            self.since = time.monotonic()


@get("/health/live", opt=OPEN, tags=["health"], summary="The process is up")
async def live() -> dict[str, str]:
    """Always 200 while the server answers."""
    return {"status": "live"}


def unavailable(reason: str) -> Response[dict[str, Any]]:
    return Response(
        {"status": "unavailable", "reason": reason}, status_code=503, headers={"Retry-After": RETRY_AFTER_S}
    )


@get("/health/ready", opt=OPEN, tags=["health"], summary="The database is reachable and migrated to head")
@inject
async def ready(database: Injected[Database], draining: Injected[Draining]) -> Response[dict[str, Any]]:
    """200 when ready (with where reads go when there are standbys); 503 with Retry-After while draining,
    when the primary is down or its schema is not at head."""
    if draining.since is not None:
        return unavailable("draining: this process is shutting down")
    try:
        # The deadline ends every wait on the database; the timeout, a little later, ends a wait for a free
        # pooled connection, which (unlike a query in flight) is safe to cancel.
        async with asyncio.timeout(READY_TIMEOUT_S + 0.25):
            with answered_within(READY_TIMEOUT_S):
                at_head = await migrations.at_head(database.engine)
    except Exception as error:
        return unavailable(f"database unreachable ({type(error).__name__})")
    if not at_head:
        return unavailable("migrations are not at head")
    if not database.standbys:
        return Response({"status": "ready"})
    return Response({"status": "ready", "replicas": await replica_status(database)})


async def replica_status(database: Database) -> dict[str, Any]:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S + 0.25):
            with answered_within(READY_TIMEOUT_S):
                return await database.replica_status() or {}
    except Exception as error:
        return {"reads_from": "unknown", "reason": driver_reason(error)}


ROUTES = [live, ready]
