"""The engine (one per process) and the unit of work (one session per scope)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from toolkit.collapse import Collapsing, identical
from toolkit.deadline import BoundedConnection
from toolkit.endpoints import Endpoints, split, standby_conninfo
from toolkit.errors import DatabaseUnavailable, driver_reason
from toolkit.pool import ConnectionPool
from toolkit.replicas import Served, StandbyPool, noting_reads, pass_on, reading_on_standbys
from toolkit.settings import Settings, mask_url
from toolkit.settings import libpq_url as libpq_url  # where it was before

log = logging.getLogger("toolkit.db")
Row = tuple[Any, ...]
Noted = tuple[Any, Served | None]  # a read's rows (or what was made of them), and which server answered
T = TypeVar("T")


def as_rows(rows: list[Row]) -> list[Row]:
    return rows


def resolve_url(settings: Settings) -> URL:
    """The schema owner's URL (migrations, role setup): the configured one, or the embedded server's."""
    if settings.database_url is not None:
        return settings.database_url
    from toolkit import embedded

    return embedded.start(settings.home)


def role_urls(settings: Settings) -> tuple[URL, URL]:
    """The writer's and the (first) reader's URLs: as configured, else the owner's server and database as the
    `queaccount_writer` and `queaccount_reader` roles (which `queaccount db roles` creates)."""
    from toolkit.roles import READER, WRITER, role_url

    write = settings.write_database_url
    read = settings.read_database_url[0] if settings.read_database_url else None
    if write is None or read is None:
        owner = resolve_url(settings)
        write = write or role_url(owner, WRITER)
        read = read or role_url(owner, READER)
    return write, read


def endpoints(settings: Settings) -> Endpoints:
    """Where the writer, the primary's reader and each standby's reader connect (toolkit/endpoints.py)."""
    write, read = role_urls(settings)
    return split(write, read, settings.read_database_url)


class Database:
    """The async engine and session factory, and the pool of single-statement reads; built once per container
    from the settings."""

    def __init__(self, settings: Settings) -> None:
        # Services write as the writing role, the read pool reads as the reading one: neither is the
        # schema's owner, so neither can change the schema, truncate, or bypass the database's rules.
        where = endpoints(settings)
        self.url, self.read_url, self.standbys = where.write, where.read, where.standbys
        self.connect_timeout = libpq_timeout(settings.connect_timeout_s)
        # The sidecar runs without pre-ping (a round trip on every checkout): a connection found dead fails
        # its one request (503), and SQLAlchemy then drops every pooled connection older than it. The notebook
        # face pings: an analyst's next call after an outage should simply work.
        self.engine = self._engine(self.url, settings, BoundedConnection.connect)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # Single-statement reads bypass SQLAlchemy's pool: its checkout and return cost more than the query.
        # pool_size of them suffice, each held for one round trip.
        options: dict[str, Any] = {
            "max_size": settings.pool_size,
            "wait_s": settings.connect_timeout_s * 2,
            "connect_timeout": self.connect_timeout,
            "options": f"-c statement_timeout={settings.statement_timeout_ms}",
        }
        self.reads: ConnectionPool
        self.collapsing: Collapsing[Noted] = Collapsing(([], None))
        self.frame_sessions = self.sessions  # where the notebook's frames are read
        self.replica_engine: AsyncEngine | None = None
        if not self.standbys:
            self.reads = ConnectionPool(libpq_url(self.read_url), **options)
            return
        standbys = standby_conninfo(self.standbys)
        self.reads = StandbyPool(standbys, libpq_url(self.read_url), **options)
        if settings.read_from == "replica":
            self.replica_engine = self._engine(self.read_url, settings, reading_on_standbys(standbys))
            self.frame_sessions = async_sessionmaker(
                self.replica_engine, expire_on_commit=False, autoflush=False
            )

    def _engine(self, url: URL, settings: Settings, connect: Callable[..., Any]) -> AsyncEngine:
        return create_async_engine(
            url,
            pool_pre_ping=settings.pool_pre_ping,
            # Up to twice pool_size connections, all kept once opened: overflow connections would be closed
            # as soon as they are returned, so a server under steady load would reconnect on most requests.
            pool_size=2 * settings.pool_size,
            max_overflow=0,
            pool_timeout=settings.connect_timeout_s * 2,
            connect_args={
                "connect_timeout": self.connect_timeout,
                "async_creator_fn": connect,  # keeps a request's deadline
            },
            hide_parameters=True,
        )

    @property
    def conninfo(self) -> str:
        """The writer's URL as libpq takes it (for connections of the driver's own)."""
        return libpq_url(self.url)

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    def unavailable(self, error: BaseException) -> DatabaseUnavailable:
        return unreachable(self.masked_url, error)

    async def read(self, sql: str, params: Mapping[str, Any]) -> list[Row]:
        """The rows of one statement read outside any transaction (no BEGIN or ROLLBACK), from a pool of its
        own, under the statement timeout, sent after this call; the same read asked meanwhile by others may
        share them (toolkit/collapse.py: do not change the list). A lost connection raises
        DatabaseUnavailable."""
        return await self.read_as(sql, params, as_rows)

    async def read_as(self, sql: str, params: Mapping[str, Any], then: Callable[[list[Row]], T]) -> T:
        """`then(rows)` of `read(sql, params)`, computed once per statement: reads collapsed into one share
        it (so it should not be changed either)."""
        try:
            family = (sql, then, *params.items())
            hash(family)
        except TypeError:  # a value that cannot be a key (a list): read alone
            made: T = answered(await self._fetch(sql, params, then))
            return made
        run = identical(lambda: self._fetch(sql, params, then))
        shared: T = answered(await self.collapsing.ask(family, None, run))
        return shared

    async def read_by_id(self, one: str, many: str, id: int) -> list[Row]:
        """The rows of `one` with {"id": id}. The ids asked meanwhile by others are read together by `many`
        with {"ids": [...]}, whose rows end with their id (left out of the answer)."""

        async def run(ids: Sequence[Hashable]) -> dict[Hashable, Noted]:
            if len(ids) == 1:
                return {ids[0]: await self._fetch(one, {"id": ids[0]})}
            rows, served = await self._fetch(many, {"ids": list(ids)})
            found: dict[Hashable, Noted] = {i: ([], served) for i in ids}
            for row in rows:
                found[row[-1]][0].append(row[:-1])
            return found

        rows: list[Row] = answered(await self.collapsing.ask(many, id, run))
        return rows

    async def _fetch(
        self, sql: str, params: Mapping[str, Any], then: Callable[[list[Row]], Any] = as_rows
    ) -> Noted:
        """`then` of one statement's rows, and on standbys which server answered."""
        try:
            if not self.standbys:
                return then(await self.reads.fetch(sql, params)), None
            with noting_reads() as served:
                return then(await self.reads.fetch(sql, params)), served
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            if isinstance(error, psycopg.errors.QueryCanceled) or not is_outage(error.sqlstate):
                raise
            raise unreachable(mask_url(self.read_url), error) from error

    async def replica_status(self) -> dict[str, Any] | None:
        """Where the read pool's reads go now, and a standby's lag behind the primary (None: no standby)."""
        if not isinstance(self.reads, StandbyPool):
            return None
        async with self.engine.connect() as connection:
            lsn = (await connection.exec_driver_sql("select pg_current_wal_lsn()::text")).scalar_one()
        return await self.reads.status(lsn)

    async def dispose(self) -> None:
        await self.reads.close()
        await self.engine.dispose()
        if self.replica_engine is not None:
            await self.replica_engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.masked_url})"


class UnitOfWork:
    """One session per scope. Nothing is committed unless a service says so, inside `atomic()`."""

    def __init__(self, session: AsyncSession, database: Database) -> None:
        self.session = session
        self.database = database

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[AsyncSession]:
        """Run a block as one database transaction: commit if it finishes, roll back if it raises."""
        try:
            yield self.session
            await self.session.commit()
        except BaseException:
            await self.session.rollback()
            raise

    async def limit_statement_time(self, milliseconds: int) -> None:
        """Cap every statement of the scope's current transaction at `milliseconds` (one heavy read
        cannot hold the database)."""
        await self.session.execute(
            text("select set_config('statement_timeout', :ms, true)"), {"ms": str(milliseconds)}
        )


def answered(noted: Noted) -> Any:
    """A read's rows, having noted for the request which server answered them (on standbys)."""
    rows, served = noted
    if served is not None:
        pass_on(served)
    return rows


def libpq_timeout(seconds: float) -> int:
    """libpq's connect_timeout: whole seconds, at least 1 (0 would mean wait for ever)."""
    return max(1, int(seconds))


def unreachable(masked_url: str, error: BaseException) -> DatabaseUnavailable:
    """The error to show for a database that could not be reached (`masked_url`: password hidden)."""
    return DatabaseUnavailable(f"the database at {masked_url} is unreachable: {driver_reason(error)}")


def is_outage(sqlstate: str | None) -> bool:
    """Whether an operational error's SQLSTATE says the server is out of reach: no answer at all, a connection
    exception (08...) or a server shutting down or starting (57P...). Others of that kind are the statement's
    own (54...: more columns than a statement may have; 55P03: a lock not available)."""
    return sqlstate is None or sqlstate.startswith(("08", "57P"))


def is_disconnect(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return True
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
