"""Client-side deadlines on database work: a server that stops answering cannot hold a request.

The server's `statement_timeout` is of no help when the server itself does not run (its processes stopped, a
network that drops packets): only the client can give up. Cancelling a psycopg operation mid-flight is no way
to do it, since psycopg then tries to cancel the query on the server, through that same silent server, for
up to ten seconds. So the deadline is kept where psycopg waits on its socket: every wait of a
`BoundedConnection` ends by the deadline of the current context (`answered_within`), and a connection whose
wait ran out is closed, its state being unknown. Both pools then discard it: it is a lost connection to
toolkit/pool.py and a disconnect to SQLAlchemy. Outside any `answered_within` block nothing is bounded (a
notebook's long COPY must be able to run as long as it needs).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Self, TypeVar

import psycopg
from psycopg import errors
from psycopg.abc import PQGen, PQGenConn
from psycopg.rows import Row

from toolkit.settings import Settings

MARGIN_S = 1.0  # past the statement timeout, so the server's own timeout (a clear 504) comes first
INF = float("inf")
RV = TypeVar("RV")
_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar("queaccount_deadline", default=None)
_ATTEMPTS: ContextVar[list[PQGenConn[Any]] | None] = ContextVar("queaccount_attempts", default=None)


def request_budget_s(settings: Settings) -> float:
    """How long the database work of one request may take: the statement timeout plus a margin."""
    return settings.statement_timeout_ms / 1000 + MARGIN_S


@contextmanager
def answered_within(seconds: float) -> Iterator[None]:
    """Within the block (and tasks it starts), every wait on the database, connecting included, ends within
    `seconds` from now (or by an outer block's earlier deadline) with `NoAnswer`."""
    outer = _DEADLINE.get()
    deadline = time.monotonic() + seconds
    token = _DEADLINE.set((deadline, seconds) if outer is None or deadline < outer[0] else outer)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining_s(default: float) -> float:
    """The seconds left before the current deadline, at most `default` (which is all there is without one)."""
    current = _DEADLINE.get()
    return default if current is None else max(0.0, min(default, current[0] - time.monotonic()))


class NoAnswer(errors.OperationalError):
    """The database did not answer by the deadline; the connection it was waited on is closed."""

    def __init__(self, doing: str) -> None:
        current = _DEADLINE.get()
        super().__init__(f"the database did not {doing} within {current[1]:g} s" if current else doing)


class BoundedConnection(psycopg.AsyncConnection[Row]):
    """A psycopg connection that keeps the current context's deadline (see the module's docstring)."""

    @classmethod
    async def connect(cls, conninfo: str = "", **kwargs: Any) -> Self:
        left = remaining_s(INF)
        attempts: list[PQGenConn[Any]] = []
        token = _ATTEMPTS.set(attempts)
        try:
            # Unlike a query, a connection attempt is safe to cancel: there is nothing on the server to undo.
            async with asyncio.timeout(None if left == INF else left):
                return await super().connect(conninfo, **kwargs)
        except TimeoutError:
            raise NoAnswer("accept the connection") from None
        finally:
            _ATTEMPTS.reset(token)
            for attempt in attempts:  # an abandoned attempt's socket closes now, not at a garbage collection
                attempt.close()

    @classmethod
    def _connect_gen(cls, conninfo: str = "") -> PQGenConn[Self]:
        attempt = super()._connect_gen(conninfo)
        attempts = _ATTEMPTS.get()
        if attempts is not None:
            attempts.append(attempt)
        return attempt

    async def wait(  # psycopg's own signature
        self,
        gen: PQGen[RV],
        interval: float = 0.1,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> RV:
        left = remaining_s(INF)
        if left == INF or (timeout is not None and timeout < left):
            return await super().wait(gen, interval, timeout)  # no deadline, or the caller's own comes first
        try:
            return await super().wait(gen, interval, left)
        except errors._WaitTimeout:
            self.pgconn.finish()  # mid-query: whatever the server sends next would confuse the next user
            raise NoAnswer("answer") from None
