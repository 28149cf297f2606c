"""`toolkit.connect()`: plain synchronous calls that work in scripts and inside Jupyter's running loop.

The core is async; this face runs it on a private event-loop thread (an anyio blocking portal), so no
`nest_asyncio` is needed and a running loop in the caller's thread is never touched.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import replace
from types import TracebackType
from typing import Any, TypeVar

import anyio
import pandas as pd
from anyio.from_thread import BlockingPortal
from sqlalchemy.engine import URL

from toolkit import entities as e
from toolkit.frames.plan import Plan, Report
from toolkit.frames.polars import to_pandas
from toolkit.notebook.aio import AsyncAudit, AsyncTable, AsyncToolkit, AsyncTransactions, Key
from toolkit.notebook.display import Listing, audit_entries
from toolkit.notebook.metrics import Metrics
from toolkit.notebook.progress import Progress, Stages
from toolkit.settings import Settings, checked_read_from

T = TypeVar("T")
_current: Toolkit | None = None


def connect(
    url: str | URL | None = None,
    *,
    actor: str | None = None,
    progress: bool = True,
    settings: Settings | None = None,
    read_from: str | None = None,
) -> Toolkit:
    """Connect to QueAccount. With no `url` (and no QUEACCOUNT_DATABASE_URL), an embedded PostgreSQL starts.

    `actor` names who makes changes in the audit log (default: `notebook:<os user>`). `read_from="replica"`
    reads frames on the hot standbys of QUEACCOUNT_READ_DATABASE_URL (a replica may lag behind your own
    writes; writes, `get()` and `qa.sql()` stay on the primary).

        >>> qa = toolkit.connect(actor="alice")
        >>> df = qa.accounts.frame(plan=["pro", "business"], order_by="-balance", limit=100)
    """
    global _current
    settings = settings if settings is not None else Settings.load()
    if url is not None:
        settings = settings.with_url(url)
    chosen = checked_read_from(read_from or settings.read_from)
    settings = replace(settings, pool_pre_ping=True, read_from=chosen)
    _current = Toolkit(settings, actor=actor, progress=progress)
    return _current


def current() -> Toolkit:
    """The last connection made with `connect()`, made now if there is none (used by the magics)."""
    return _current if _current is not None and not _current.closed else connect()


def start_portal() -> tuple[BlockingPortal, Callable[[], None]]:
    """An event loop on a daemon thread (so a forgotten connection never keeps Python from exiting)."""
    handed: queue.Queue[BlockingPortal] = queue.Queue()

    async def serve() -> None:
        async with BlockingPortal() as portal:
            handed.put(portal)
            await portal.sleep_until_stopped()

    thread = threading.Thread(target=anyio.run, args=(serve,), name="queaccount-loop", daemon=True)
    thread.start()
    portal = handed.get()

    def stop() -> None:
        portal.call(portal.stop)
        thread.join(timeout=5)

    return portal, stop


class Toolkit:
    """One connection: `qa.accounts`, `qa.transactions`, `qa.audit` (and `qa.<path>` for every resource),
    `qa.sql(...)`, `qa.metrics`, `qa.migrations`."""

    def __init__(self, settings: Settings, *, actor: str | None = None, progress: bool = True) -> None:
        self.progress = progress
        self.closed = False
        self._portal, self._stop = start_portal()
        self.aio: AsyncToolkit = self._portal.call(self._build, settings, actor)
        self.accounts = Table(self, self.aio.accounts)
        self.transactions = Transactions(self, self.aio.transactions)
        self.audit = Audit(self, self.aio.audit)
        self.metrics = Metrics(self, self.aio.metrics)
        from toolkit.notebook.migrations import Migrations

        self.migrations = Migrations(self)
        atexit.register(self.close)

    @staticmethod
    async def _build(settings: Settings, actor: str | None) -> AsyncToolkit:
        return AsyncToolkit(settings, actor=actor)

    @property
    def actor(self) -> str:
        return self.aio.actor

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        if self.closed:
            raise RuntimeError("this connection is closed; make a new one with toolkit.connect()")
        result: T = self._portal.call(fn, *args)
        return result

    def table(self, repository: type[Any]) -> Table:
        """The rows of any resource, a model you added too: `qa.table(NoteRepository).frame()` (or
        `qa.notes`, by its path)."""
        return Table(self, self.aio.table(repository))

    def __getattr__(self, name: str) -> Table:
        """`qa.notes`: the table of the resource served at that path (a model you added)."""
        if name.startswith("_") or "aio" not in self.__dict__:
            raise AttributeError(name)
        return Table(self, getattr(self.aio, name))

    def __dir__(self) -> list[str]:
        from toolkit.resources import registered

        return sorted({*super().__dir__(), *(r.attribute for r in registered())})

    def sql(self, statement: str, *, write: bool = False, as_polars: bool = False, **params: Any) -> Any:
        """Run SQL with `:name` parameters bound from keyword arguments (never formatted into the text).

        Read-only unless `write=True` (so DML hidden in a CTE is refused too); writes are audited. A result
        column that is a model's column has the dtype `frame()` gives it; `as_polars=True` gives polars.

            >>> qa.sql("select plan, count(*) from accounts where country = :c group by plan", c="DE")
        """
        return self.run(lambda: self.aio.sql(statement, write=write, as_polars=as_polars, **params))

    def close(self) -> None:
        """Close the connection pool and the loop thread."""
        if not self.closed:
            self.closed = True
            atexit.unregister(self.close)
            try:
                self._portal.call(self.aio.close)
            finally:
                self._stop()

    def __enter__(self) -> Toolkit:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<QueAccount toolkit {state}: {self.aio.settings.masked_url} as {self.actor!r}>"


class Table:
    """One resource's rows: `frame()`, `iter_frames()`, `get()`, `create()`, `update()`, `delete()` or
    `close()` where its rows allow it, `diff()`/`apply()`/`save()` and `insert_frame()`. Every write goes
    through the resource's service: validated, audited, version-checked."""

    def __init__(self, kit: Toolkit, aio: AsyncTable) -> None:
        self.kit, self._aio = kit, aio

    def frame(
        self,
        *conditions: Any,
        columns: list[str] | None = None,
        order_by: Any = None,
        limit: int | None = None,
        as_arrow: bool = False,
        as_polars: bool = False,
        **equals: Any,
    ) -> Any:
        """Rows as a DataFrame (a pyarrow.Table with `as_arrow=True`, a polars DataFrame sharing its buffers
        with `as_polars=True`).

        Keyword arguments are equality filters (a list means IN); positional arguments are SQLAlchemy
        conditions on the models; `order_by="-balance"` sorts descending.

            >>> from toolkit.models import Account
            >>> qa.accounts.frame(Account.balance > 100, plan=["pro", "business"], columns=["id", "email"])
        """
        with Progress(f"reading {self._aio.label}", enabled=self.kit.progress) as progress:
            options = {"columns": columns, "order_by": order_by, "limit": limit, **equals}
            return self.kit.run(
                lambda: self._aio.frame(
                    *conditions, as_arrow=as_arrow, as_polars=as_polars, progress=progress, **options
                )
            )

    def _bar(self, frame: pd.DataFrame) -> dict[str, Any]:
        return {"rows": len(frame), "enabled": self.kit.progress}

    def iter_frames(
        self, *conditions: Any, chunk_rows: int = 100_000, as_polars: bool = False, **options: Any
    ) -> Iterator[Any]:
        """The rows of `frame()`, `chunk_rows` at a time (for results larger than memory)."""
        chunks: AsyncGenerator[Any] = self._aio.iter_frames(
            *conditions, chunk_rows=chunk_rows, as_polars=as_polars, **options
        )
        try:
            while True:
                try:
                    yield self.kit.run(chunks.__anext__)
                except StopAsyncIteration:
                    return
        finally:
            self.kit.run(chunks.aclose)

    def to_dask(
        self, *conditions: Any, npartitions: int = 8, columns: list[str] | None = None, **equals: Any
    ) -> Any:
        """The rows of `frame()` (same filters) as a Dask DataFrame indexed by id: `npartitions` id ranges
        with known divisions, all read on one snapshot taken now (needs the `dask` extra).

        The snapshot is held by an open transaction until the frame's first `compute()` or `persist()`, its
        `release()`, the end of its `with` block, or until it is dropped. It runs where Dask runs it: on the
        active `distributed.Client` (local or `Client("tcp://host:8786")`), else on Dask's local threads.

            >>> with qa.accounts.to_dask(npartitions=8, status="active") as accounts:
            ...     by_plan = accounts.groupby("plan", observed=True).balance.sum().compute()
        """
        return self.kit.run(
            lambda: self._aio.to_dask(*conditions, npartitions=npartitions, columns=columns, **equals)
        )

    def get(self, id: int) -> Any:
        """One row by id."""
        return self.kit.run(self._aio.get, id)

    def create(self, **fields: Any) -> Any:
        """Create a row: `qa.accounts.create(email=..., full_name=..., country="DE", plan="pro")`."""
        return self.kit.run(lambda: self._aio.create(**fields))

    def update(self, id: int, *, version: int | None = None, **changes: Any) -> Any:
        """Change fields; pass the `version` you read so a concurrent change is refused (StaleVersion)."""
        return self.kit.run(lambda: self._aio.update(id, version=version, **changes))

    def delete(self, id: int) -> Any:
        """Delete a row (where its resource allows it); returns it as it was."""
        return self.kit.run(self._aio.delete, id)

    def close(self, id: int, *, version: int | None = None) -> Any:
        """Close a row for good (accounts: a closed account cannot be reopened)."""
        return self.kit.run(lambda: self._aio.close(id, version=version))

    def diff(self, frame: Any, *, key: Key | None = None, insert: bool = True) -> Plan:
        """What saving `frame` (pandas or polars) would do: inserts, changed cells, conflicts, invalid rows.
        Writes nothing.

        Rows are matched by id; with `key`, a natural key, rows without an id are matched by it (a CSV of
        emails), and a row without a version is checked against the row as diff() read it. `insert=False`
        refuses rows that match none instead of inserting them.

            >>> qa.accounts.diff(pd.read_csv("finance.csv"), key="email").apply()
        """
        frame = to_pandas(frame)
        plan = self.kit.run(lambda: self._aio.diff(frame, key=key, insert=insert))
        plan.applier = self.apply
        return plan

    def apply(self, plan: Plan, *, skip_conflicts: bool = False, skip_invalid: bool = False) -> Report:
        """Write a plan in one transaction (also available as `plan.apply()`)."""
        return self.kit.run(
            lambda: self._aio.apply(plan, skip_conflicts=skip_conflicts, skip_invalid=skip_invalid)
        )

    def save(self, frame: Any, *, key: Key | None = None, insert: bool = True) -> Report:
        """`diff(frame, key=..., insert=...).apply()`: write back an edited frame (pandas or polars); refused
        whole on any conflict or invalid row."""
        label, frame = self._aio.label, to_pandas(frame)
        with Stages(f"saving {len(frame):,} {label}", ["checking", "writing"], **self._bar(frame)) as stages:
            plan = self.diff(frame, key=key, insert=insert)
            stages.done("checking")
            report = plan.apply()
            stages.done("writing")
            return report

    def insert_frame(self, frame: Any) -> Report:
        """Load new rows in bulk from a pandas or polars frame (no id column values); all or nothing."""
        frame = to_pandas(frame)
        with Stages(f"inserting {len(frame):,} {self._aio.label}", ["writing"], **self._bar(frame)):
            return self.kit.run(self._aio.insert_frame, frame)

    def __repr__(self) -> str:
        return f"<QueAccount table {self._aio.label}>"


class Transactions(Table):
    """The ledger: `frame()`, `get()`, `post()`, `post_frame()`. It is append-only."""

    _aio: AsyncTransactions

    def post(self, account_id: int, kind: str, amount: Any, **fields: Any) -> e.Transaction:
        """Post one transaction: `qa.transactions.post(42, "deposit", "100.00", description="top-up")`."""
        return self.kit.run(lambda: self._aio.post(account_id, kind, amount, **fields))

    def post_frame(self, frame: Any) -> Report:
        """Post many transactions in frame order (pandas or polars), all or nothing (no balance may go below
        zero on the way)."""
        frame = to_pandas(frame)
        with Stages(f"posting {len(frame):,} transactions", ["writing"], **self._bar(frame)):
            return self.kit.run(self._aio.post_frame, frame)


class Audit(Table):
    """The audit trail: `frame()` and `history(entity, id)`.

    A bulk load of new rows is one audit row per run of consecutive ids (`entity_id` .. `last_entity_id`);
    `history()` and `frame(entity="account", about=42)` include the load that created the row.
    """

    _aio: AsyncAudit

    def history(self, entity: str, entity_id: int) -> Listing[e.AuditEntry]:
        """Every change to one row, oldest first: `qa.audit.history("account", 42)`. A list of entries that
        a notebook shows as a table (`.table()` gives it as a DataFrame)."""
        return audit_entries(self.kit.run(self._aio.history, entity, entity_id))
