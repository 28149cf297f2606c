"""Open routes for orchestrators: liveness (the process answers) and readiness (database usable)."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from wireup import Injected
from wireup.integration.asgi import inject

from sidecar.auth import OPEN
from sidecar.errors import RETRY_AFTER_S
from toolkit import migrations
from toolkit.db import Database
from toolkit.deadline import answered_within

READY_TIMEOUT_S = 1.0  # the database's part of the answer; the whole answer comes within 2 s


@get("/health/live", opt=OPEN, tags=["health"], summary="The process is up")
async def live() -> dict[str, str]:
    """Always 200 while the server answers."""
    return {"status": "live"}


@get("/health/ready", opt=OPEN, tags=["health"], summary="The database is reachable and migrated to head")
@inject
async def ready(database: Injected[Database]) -> Response[dict[str, str]]:
    """200 when ready; 503 with Retry-After when the database is down or its schema is not at head."""
    try:
        # The deadline ends every wait on the database; the timeout, a little later, ends a wait for a free
        # pooled connection, which (unlike a query in flight) is safe to cancel.
        async with asyncio.timeout(READY_TIMEOUT_S + 0.25):
            with answered_within(READY_TIMEOUT_S):
                at_head = await migrations.at_head(database.engine)
    except Exception as error:
        reason = f"database unreachable ({type(error).__name__})"
        return Response(
            {"status": "unavailable", "reason": reason},
            status_code=503,
            headers={"Retry-After": RETRY_AFTER_S},
        )
    if not at_head:
        return Response(
            {"status": "unavailable", "reason": "migrations are not at head"},
            status_code=503,
            headers={"Retry-After": RETRY_AFTER_S},
        )
    return Response({"status": "ready"})


ROUTES = [live, ready]
