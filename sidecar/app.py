"""`create_app()`: the Litestar face, built from the toolkit's one container."""

from __future__ import annotations

import gc
import logging
from typing import Any

from litestar import Litestar, Request, Router
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ASGIApp, Receive, Scope, Send
from wireup import instance
from wireup.integration.asgi import WireupASGIMiddleware

import toolkit
from sidecar.access_log import AccessLogMiddleware
from sidecar.assets import static_files
from sidecar.auth import OPEN, require_api_key
from sidecar.body import JsonRequest, require_json
from sidecar.compression import compressed
from sidecar.cors import cors_config
from sidecar.docs import SAME_HOST_ONLY, render_plugins
from sidecar.errors import EXCEPTION_HANDLERS
from sidecar.head import HeadDocumentingConfig, answering_head
from sidecar.http import require_row_ids
from sidecar.routes import dashboard, health, metrics
from sidecar.routes.health import Draining
from sidecar.routes.resources import every_resource
from sidecar.served_by import noting_servers
from sidecar.serving import drain_on_sigterm
from sidecar.shortcut import RowShortcut
from toolkit.db import endpoints
from toolkit.deadline import answered_within, request_budget_s
from toolkit.roles import refuse_privileged
from toolkit.settings import Settings
from toolkit.wiring import create_container

log = logging.getLogger("sidecar")

DESCRIPTION = """Accounts, their ledger and audit trail over HTTP, with PostgREST's read grammar
(`?status=eq.active&order=created_at.desc&limit=50`). Send `Authorization: Bearer <key>`
(create one with `queaccount keys create --name NAME --scope read`)."""


def openapi_config() -> OpenAPIConfig:
    return HeadDocumentingConfig(
        title="QueAccount sidecar",
        version=toolkit.__version__,
        description=DESCRIPTION,
        render_plugins=render_plugins(),
        openapi_router=Router(
            "/schema",
            route_handlers=[],
            opt=OPEN,
            include_in_schema=False,
            response_headers=[SAME_HOST_ONLY],
        ),
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", description="an API key")
            }
        ),
        security=[{"bearer": []}],
    )


def settle_memory() -> None:
    """After startup, set everything built so far (routes, models, schema) aside for the garbage collector:
    its full collections then look only at what requests leave behind, so their pauses stay short."""
    gc.collect()
    gc.freeze()


async def before_request(request: Request[Any, Any, Any]) -> None:
    """Before every handler: the API key first (401/403), then a row id in the path (400) and a write's
    content type (415)."""
    await require_api_key(request)
    require_row_ids(request)
    await require_json(request)


def create_app(settings: Settings | None = None) -> Litestar:
    """The sidecar app. Settings are read once here (from the environment) unless given. NotPermitted when
    a URL it would connect with is a superuser's or the schema owner's."""
    settings = settings if settings is not None else Settings.load()
    where = endpoints(settings)
    for url in (where.write, where.read, *where.standbys):
        refuse_privileged(url)  # whichever ASGI server runs the app, `queaccount serve` or another
    draining = Draining()
    container = create_container(settings, instance(draining, as_type=Draining))

    async def close_container() -> None:
        await container.close()
        log.info("shut down: in-flight requests finished, database pool closed")

    cors = cors_config(settings.cors_origins)
    app = Litestar(
        route_handlers=[
            *every_resource(),
            *metrics.ROUTES,
            *health.ROUTES,
            *dashboard.ROUTES,
            static_files(),
        ],
        middleware=[DefineMiddleware(WireupASGIMiddleware, container=container)],
        cors_config=cors,
        before_request=before_request,
        request_class=JsonRequest,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        on_startup=[settle_memory, lambda: drain_on_sigterm(draining, settings.drain_s)],
        on_shutdown=[close_container],
    )
    shortcut = compressed(RowShortcut(app.asgi_handler, container, cors), settings.compress_min_bytes)
    handler: ASGIApp = AccessLogMiddleware(answering_head(shortcut))
    if settings.read_database_url and where.standbys:
        handler = noting_servers(handler)
    app.asgi_handler = bounded(handler, request_budget_s(settings))
    return app


def bounded(app: ASGIApp, seconds: float) -> ASGIApp:
    """Every request's database work ends within `seconds` (toolkit/deadline.py), whatever happens to it."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        with answered_within(seconds):
            await app(scope, receive, send)

    return handle
