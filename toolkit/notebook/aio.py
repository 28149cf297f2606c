"""The async face: every call opens one container scope and goes through a service."""

from __future__ import annotations

import getpass
import logging
import time
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import pandas as pd
import wireup

from toolkit import entities as e
from toolkit.db import Database
from toolkit.db_errors import DRIVER_ERRORS, toolkit_error
from toolkit.frames.plan import Plan, Report
from toolkit.services import AccountService, AuditService, TransactionService
from toolkit.services.account_frames import AccountFrameService
from toolkit.services.frame_reads import FrameReads
from toolkit.services.sql import SqlService
from toolkit.services.transaction_frames import AuditFrameService, TransactionFrameService
from toolkit.settings import Settings

T = TypeVar("T")
S = TypeVar("S")
log = logging.getLogger("toolkit.notebook")


def default_actor() -> str:
    try:
        return f"notebook:{getpass.getuser()}"
    except Exception:
        return "notebook:unknown"


class AsyncToolkit:
    """`await`-style access; `toolkit.connect()` wraps it for plain synchronous calls."""

    def __init__(self, settings: Settings, *, actor: str | None = None) -> None:
        from toolkit.wiring import create_container

        self.settings = settings
        self.actor = actor or default_actor()
        self.container: wireup.AsyncContainer = create_container(settings)
        self.accounts = AsyncAccounts(self)
        self.transactions = AsyncTransactions(self)
        self.audit = AsyncAudit(self)
        self._head_checked = 0.0

    async def call(self, service: type[S], fn: Callable[[S], Awaitable[T]]) -> T:
        """Run `fn(service)` in its own scope (see `in_scope`)."""

        async def with_service(scope: Any) -> T:
            return await fn(await scope.get(service))

        return await self.in_scope(with_service)

    async def in_scope(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        """Run `fn(scope)` in a new container scope; driver and SQLAlchemy errors become toolkit errors."""
        try:
            async with self.container.enter_scope() as scope:
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
        """Frames of any registered repository, e.g. one you added: `qa.table(NoteRepository).frame()`."""
        return AsyncTable(self, repository)

    async def sql(self, statement: str, *, write: bool = False, **params: Any) -> pd.DataFrame:
        """Run SQL with `:name` parameters bound from keyword arguments; read-only unless `write=True`."""
        if write:
            await self.warn_if_behind()
        return await self.call(
            SqlService, lambda s: s.query(statement, params, write=write, actor=self.actor)
        )

    async def warn_if_behind(self) -> None:
        """Warn (at most once a minute) when the database is behind head, or ahead of this code."""
        if time.monotonic() - self._head_checked < 60:
            return
        self._head_checked = time.monotonic()
        import anyio

        from toolkit import migrations
        from toolkit.errors import UnknownRevision

        db = await self.container.get(Database)
        try:
            pending = await anyio.to_thread.run_sync(lambda: migrations.pending(url=db.url))
        except UnknownRevision as ahead:
            warnings.warn(str(ahead), stacklevel=4)
            return
        if pending:
            warnings.warn(
                f"the database is behind head by {len(pending)} migration(s) ({', '.join(pending)}); "
                "run qa.migrations.upgrade() or %qa_migrate upgrade",
                stacklevel=4,
            )

    async def close(self) -> None:
        await self.container.close()


class AsyncTable:
    """Frames of one model. Subclasses name their frame service; any repository works via `qa.table()`."""

    frames: type[Any] = FrameReads

    def __init__(self, kit: AsyncToolkit, repository: type[Any] | None = None) -> None:
        self.kit, self.repository = kit, repository

    @property
    def label(self) -> str:
        owner = self.repository or self.frames
        return str(owner.__name__).removesuffix("FrameService").removesuffix("Repository").lower()

    async def reader(self, scope: Any) -> FrameReads:
        if self.repository is not None:
            return FrameReads(await scope.get(self.repository))
        reader: FrameReads = await scope.get(self.frames)
        return reader

    async def frame(
        self, *conditions: Any, progress: Any = None, as_arrow: bool = False, **options: Any
    ) -> Any:
        async def read(scope: Any) -> Any:
            reader = await self.reader(scope)
            return await reader.frame(*conditions, as_arrow=as_arrow, progress=progress, **options)

        return await self.kit.in_scope(read)

    async def iter_frames(
        self, *conditions: Any, chunk_rows: int = 100_000, **options: Any
    ) -> AsyncGenerator[pd.DataFrame]:
        try:
            async with self.kit.container.enter_scope() as scope:
                reader = await self.reader(scope)
                async for chunk in reader.iter_frames(*conditions, chunk_rows=chunk_rows, **options):
                    yield chunk
        except DRIVER_ERRORS as error:
            raise toolkit_error(error, await self.kit.masked_url()) from None


class AsyncAccounts(AsyncTable):
    frames = AccountFrameService

    async def get(self, id: int) -> e.Account:
        return await self.kit.call(AccountService, lambda s: s.get(id))

    async def create(self, **fields: Any) -> e.Account:
        await self.kit.warn_if_behind()
        return await self.kit.call(AccountService, lambda s: s.create(fields, actor=self.kit.actor))

    async def update(self, id: int, *, version: int | None = None, **changes: Any) -> e.Account:
        await self.kit.warn_if_behind()
        return await self.kit.call(
            AccountService, lambda s: s.update(id, changes, actor=self.kit.actor, version=version)
        )

    async def close(self, id: int, *, version: int | None = None) -> e.Account:
        await self.kit.warn_if_behind()
        return await self.kit.call(
            AccountService, lambda s: s.close(id, actor=self.kit.actor, version=version)
        )

    async def diff(self, frame: pd.DataFrame) -> Plan:
        return await self.kit.call(AccountFrameService, lambda s: s.diff(frame))

    async def apply(self, plan: Plan, *, skip_conflicts: bool = False, skip_invalid: bool = False) -> Report:
        await self.kit.warn_if_behind()
        return await self.kit.call(
            AccountFrameService,
            lambda s: s.apply(
                plan, actor=self.kit.actor, skip_conflicts=skip_conflicts, skip_invalid=skip_invalid
            ),
        )

    async def save(self, frame: pd.DataFrame) -> Report:
        return await self.apply(await self.diff(frame))

    async def insert_frame(self, frame: pd.DataFrame) -> Report:
        await self.kit.warn_if_behind()
        return await self.kit.call(AccountFrameService, lambda s: s.insert_frame(frame, actor=self.kit.actor))


class AsyncTransactions(AsyncTable):
    frames = TransactionFrameService

    async def get(self, id: int) -> e.Transaction:
        return await self.kit.call(TransactionService, lambda s: s.get(id))

    async def post(self, account_id: int, kind: str, amount: Any, **fields: Any) -> e.Transaction:
        await self.kit.warn_if_behind()
        data = {"account_id": account_id, "kind": kind, "amount": amount, **fields}
        return await self.kit.call(TransactionService, lambda s: s.post(data, actor=self.kit.actor))

    async def post_frame(self, frame: pd.DataFrame) -> Report:
        await self.kit.warn_if_behind()
        return await self.kit.call(
            TransactionFrameService, lambda s: s.post_frame(frame, actor=self.kit.actor)
        )


class AsyncAudit(AsyncTable):
    frames = AuditFrameService

    async def history(self, entity: str, entity_id: int) -> list[e.AuditEntry]:
        return await self.kit.call(AuditService, lambda s: s.history(entity, entity_id))


async def connect_async(
    url: str | None = None, *, actor: str | None = None, settings: Settings | None = None
) -> AsyncToolkit:
    """The async face: `qa = await toolkit.connect_async()`, then `await qa.accounts.frame(...)`."""
    settings = settings if settings is not None else Settings.load()
    if url is not None:
        settings = settings.with_url(url)
    settings = replace(settings, pool_pre_ping=True)
    return AsyncToolkit(settings, actor=actor)
