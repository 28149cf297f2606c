"""The async face: every call opens one container scope and goes through a service."""

from __future__ import annotations

import getpass
import logging
import time
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import wireup

from toolkit import entities as e
from toolkit import resources
from toolkit.db import Database
from toolkit.db_errors import DRIVER_ERRORS, toolkit_error
from toolkit.errors import NotAResource
from toolkit.frames import polars
from toolkit.frames.plan import Plan, Report
from toolkit.notebook.metrics import AsyncMetrics
from toolkit.repositories import AccountRepository, AuditRepository, TransactionRepository
from toolkit.resources import Resource
from toolkit.services import AuditService
from toolkit.services.dask_reads import DaskReads
from toolkit.services.frame_reads import FrameReads
from toolkit.services.rows import Rows
from toolkit.services.sql import SqlService
from toolkit.settings import Settings, checked_read_from

T = TypeVar("T")
S = TypeVar("S")
Key = str | tuple[str, ...] | list[str]  # a natural key: "email", ("account_id", "title")
log = logging.getLogger("toolkit.notebook")


def default_actor() -> str:
    try:
        return f"notebook:{getpass.getuser()}"
    except Exception:
        return "notebook:unknown"


class AsyncToolkit:
    """`await`-style access; `toolkit.connect()` wraps it for plain synchronous calls."""

    def __init__(self, settings: Settings, *, actor: str | None = None) -> None:
        from toolkit.wiring import create_container, frames_scope

        self.frames_scope = frames_scope
        self.settings = settings
        self.actor = actor or default_actor()
        self.container: wireup.AsyncContainer = create_container(settings)
        self.accounts = self.table(AccountRepository)
        self.transactions = AsyncTransactions(
            self, TransactionRepository, resources.of(TransactionRepository)
        )
        self.audit = AsyncAudit(self, AuditRepository, resources.of(AuditRepository))
        self.metrics = AsyncMetrics(self)
        self._head_checked = 0.0

    async def call(self, service: type[S], fn: Callable[[S], Awaitable[T]]) -> T:
        """Run `fn(service)` in its own scope (see `in_scope`)."""

        async def with_service(scope: Any) -> T:
            return await fn(await scope.get(service))

        return await self.in_scope(with_service)

    async def in_scope(self, fn: Callable[[Any], Awaitable[T]], *, frames: bool = False) -> T:
        """Run `fn(scope)` in a new container scope (`frames`: one that reads frames, on the standbys with
        `read_from="replica"`); driver and SQLAlchemy errors become toolkit errors."""
        try:
            async with self.frames_scope(self.container) if frames else self.container.enter_scope() as scope:
                return await fn(scope)
        except DRIVER_ERRORS as error:
            raise toolkit_error(error, await self.masked_url()) from None

    async def masked_url(self) -> str:
        """The database's URL, password hidden (the settings' when the database cannot even be set up)."""
        try:
            db = await self.container.get(Database)
        except Exception:
            return self.settings.masked_url
        return db.masked_url

    def table(self, repository: type[Any]) -> AsyncTable:
        """The rows of any resource, e.g. one you added: `await qa.table(NoteRepository).frame()`."""
        return AsyncTable(self, repository, resources.of(repository))

    def __getattr__(self, name: str) -> AsyncTable:
        """`qa.notes`: the table of the resource at that path."""
        resource = resources.at(name) if not name.startswith("_") else None
        if resource is None:
            raise AttributeError(
                f"no resource {name!r} (known: {', '.join(r.attribute for r in resources.registered())})"
            )
        return self.table(resource.repository)

    async def sql(
        self, statement: str, *, write: bool = False, as_polars: bool = False, **params: Any
    ) -> Any:
        """Run SQL with `:name` parameters bound from keyword arguments; read-only unless `write=True`."""
        if write:
            await self.warn_if_behind()
        return await self.call(
            SqlService,
            lambda s: s.query(statement, params, write=write, actor=self.actor, as_polars=as_polars),
        )

    async def warn_if_behind(self) -> None:
        """Warn (at most once a minute) when the database is behind head, or ahead of this code."""
        if time.monotonic() - self._head_checked < 60:
            return
        self._head_checked = time.monotonic()
        from toolkit import migrations
        from toolkit.errors import UnknownRevision

        db = await self.container.get(Database)
        try:
            # Through the write engine's own pool: the write that follows uses the same connection, and the
            # check costs a round trip, not a new engine and connection (50 to 150 ms on a first write).
            pending = await migrations.pending_on(db.engine)
        except UnknownRevision as ahead:
            warnings.warn(str(ahead), stacklevel=4)
            return
        except DRIVER_ERRORS:
            return  # the write itself reports the database's trouble, as a toolkit error
        if pending:
            warnings.warn(
                f"the database is behind head by {len(pending)} migration(s) ({', '.join(pending)}); "
                "run qa.migrations.upgrade() or %qa_migrate upgrade",
                stacklevel=4,
            )

    async def close(self) -> None:
        await self.container.close()


class AsyncTable:
    """One resource's rows (or, for a repository that is not a resource, its frames only). Every call opens
    one container scope; every write goes through the resource's service (`toolkit.services.rows`)."""

    def __init__(self, kit: AsyncToolkit, repository: type[Any], resource: Resource | None = None) -> None:
        self.kit, self.repository, self.resource = kit, repository, resource

    @property
    def label(self) -> str:
        if self.resource is not None:
            return self.resource.path
        return str(self.repository.__name__).removesuffix("Repository").lower()

    async def rows(self, fn: Callable[[Rows], Awaitable[T]], *, writes: bool = False) -> T:
        """Run `fn(rows)` in a scope of its own (a write first warns if the database is behind head)."""
        resource = self.resource
        if resource is None:
            raise NotAResource(
                f"{self.repository.__name__} is read-only here: only frame() and iter_frames(), as it has no"
                " resource (add one in toolkit/resources/, see 'Adding a model' in the README)"
            )
        if writes:
            await self.kit.warn_if_behind()

        async def run(scope: Any) -> T:
            return await fn(await Rows.of(scope, resource))

        return await self.kit.in_scope(run)

    async def frame(
        self,
        *conditions: Any,
        progress: Any = None,
        as_arrow: bool = False,
        as_polars: bool = False,
        **options: Any,
    ) -> Any:
        async def read(scope: Any) -> Any:
            reader = FrameReads(await scope.get(self.repository))
            kinds = {"as_arrow": as_arrow, "as_polars": as_polars}
            return await reader.frame(*conditions, progress=progress, **kinds, **options)

        return await self.kit.in_scope(read, frames=True)

    async def iter_frames(
        self, *conditions: Any, chunk_rows: int = 100_000, as_polars: bool = False, **options: Any
    ) -> AsyncGenerator[Any]:
        try:
            async with self.kit.frames_scope(self.kit.container) as scope:
                reader = FrameReads(await scope.get(self.repository))
                options |= {"chunk_rows": chunk_rows, "as_polars": as_polars}
                async for chunk in reader.iter_frames(*conditions, **options):
                    yield chunk
        except DRIVER_ERRORS as error:
            raise toolkit_error(error, await self.kit.masked_url()) from None

    async def to_dask(
        self, *conditions: Any, npartitions: int = 8, columns: list[str] | None = None, **equals: Any
    ) -> Any:
        async def read(scope: Any) -> Any:
            reader = DaskReads(FrameReads(await scope.get(self.repository)))
            return await reader.to_dask(*conditions, npartitions=npartitions, columns=columns, **equals)

        return await self.kit.in_scope(read)

    async def get(self, id: int) -> Any:
        return await self.rows(lambda r: r.get(id))

    async def create(self, **fields: Any) -> Any:
        [created] = await self.rows(
            lambda r: r.create_many([fields], actor=self.kit.actor, many=False), writes=True
        )
        return created

    async def update(self, id: int, *, version: int | None = None, **changes: Any) -> Any:
        return await self.rows(
            lambda r: r.update(id, changes, actor=self.kit.actor, version=version), writes=True
        )

    async def delete(self, id: int) -> Any:
        return await self.rows(lambda r: r.delete(id, actor=self.kit.actor), writes=True)

    async def close(self, id: int, *, version: int | None = None) -> Any:
        return await self.rows(lambda r: r.close(id, actor=self.kit.actor, version=version), writes=True)

    async def diff(self, frame: Any, *, key: Key | None = None, insert: bool = True) -> Plan:
        frame = polars.to_pandas(frame)
        return await self.rows(lambda r: r.diff(frame, key=key, insert=insert))

    async def apply(self, plan: Plan, *, skip_conflicts: bool = False, skip_invalid: bool = False) -> Report:
        skips = {"skip_conflicts": skip_conflicts, "skip_invalid": skip_invalid}
        return await self.rows(lambda r: r.apply(plan, actor=self.kit.actor, **skips), writes=True)

    async def save(self, frame: Any, *, key: Key | None = None, insert: bool = True) -> Report:
        return await self.apply(await self.diff(frame, key=key, insert=insert))

    async def insert_frame(self, frame: Any) -> Report:
        frame = polars.to_pandas(frame)
        return await self.rows(lambda r: r.insert_frame(frame, actor=self.kit.actor), writes=True)


class AsyncTransactions(AsyncTable):
    async def post(self, account_id: int, kind: str, amount: Any, **fields: Any) -> e.Transaction:
        posted: e.Transaction = await self.create(account_id=account_id, kind=kind, amount=amount, **fields)
        return posted

    async def post_frame(self, frame: Any) -> Report:
        return await self.insert_frame(frame)


class AsyncAudit(AsyncTable):
    async def history(self, entity: str, entity_id: int) -> list[e.AuditEntry]:
        return await self.kit.call(AuditService, lambda s: s.history(entity, entity_id))


async def connect_async(
    url: str | None = None,
    *,
    actor: str | None = None,
    settings: Settings | None = None,
    read_from: str | None = None,
) -> AsyncToolkit:
    """The async face: `qa = await toolkit.connect_async()`, then `await qa.accounts.frame(...)`."""
    settings = settings if settings is not None else Settings.load()
    if url is not None:
        settings = settings.with_url(url)
    settings = replace(
        settings, pool_pre_ping=True, read_from=checked_read_from(read_from or settings.read_from)
    )
    return AsyncToolkit(settings, actor=actor)
