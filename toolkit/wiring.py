"""THE composition root: `create_container(settings)` builds everything, for both faces and the tests.

Every resource (toolkit/resources: one module per model) brings its repository and its service, which live
for one scope (an HTTP request or a notebook call); adding a model needs no line here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import wireup
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.db import Database, UnitOfWork, is_disconnect
from toolkit.keycache import ApiKeyCache
from toolkit.reads import Reads
from toolkit.repositories import ApiKeyRepository
from toolkit.resources import registered
from toolkit.services import ApiKeyService, MetricsService, SampleDataService
from toolkit.services.sql import SqlService
from toolkit.settings import Settings

# What every scope may need besides the resources' own repositories and services.
SCOPED: list[type[Any]] = [
    UnitOfWork,
    SqlService,
    ApiKeyRepository,
    ApiKeyService,
    MetricsService,
    SampleDataService,
]


def scoped() -> list[type[Any]]:
    """SCOPED, then each resource's repository and service (once each, as several may share one)."""
    parts = [*SCOPED, *(part for r in registered() for part in (r.repository, r.service))]
    return list(dict.fromkeys(parts))


@wireup.injectable
async def database(settings: Settings) -> AsyncIterator[Database]:
    """One engine per container; disposed when the container closes."""
    db = Database(settings)
    try:
        yield db
    finally:
        await db.dispose()


@wireup.injectable
async def key_cache(settings: Settings, db: Database) -> AsyncIterator[ApiKeyCache]:
    """One cache of validated API keys per container; its listening connection closes with it."""
    cache = ApiKeyCache(
        db.conninfo, settings.api_key_cache_s, settings.api_key_pepper, settings.connect_timeout_s
    )
    try:
        yield cache
    finally:
        await cache.close()


@wireup.injectable(lifetime="scoped")
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    """One session per scope: whatever was not committed is rolled back, and it is always closed.

    A connection the server dropped cannot roll back; it is discarded instead of failing the scope after
    its answer was already given.
    """
    scoped_session = db.sessions()
    try:
        yield scoped_session
    finally:
        try:
            await scoped_session.close()
        except DBAPIError as error:
            if not is_disconnect(error):
                raise
            await scoped_session.invalidate()


@asynccontextmanager
async def frames_scope(container: wireup.AsyncContainer) -> AsyncIterator[wireup.ScopedAsyncContainer]:
    """A scope for reading frames: its session reads on the hot standbys, as the reader, when the settings
    say `read_from="replica"` and name standbys (the primary when none answers); else a scope as any."""
    db = await container.get(Database)
    if db.frame_sessions is db.sessions:
        async with container.enter_scope() as scope:
            yield scope
        return
    frames = db.frame_sessions()
    try:
        async with container.enter_scope({AsyncSession: frames}) as scope:
            yield scope
    finally:
        await frames.close()


def create_container(settings: Settings | None = None, *extra: Any) -> wireup.AsyncContainer:
    """Build the container both faces share. `extra` registers more injectables (e.g. the sidecar's)."""
    settings = settings if settings is not None else Settings.load()
    return wireup.create_async_container(
        injectables=[
            wireup.instance(settings, as_type=Settings),
            database,
            key_cache,
            wireup.injectable(Reads),
            session,
            *(wireup.injectable(cls, lifetime="scoped") for cls in scoped()),
            *extra,
        ]
    )
