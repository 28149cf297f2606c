"""Request collapsing: reads asked while the same read is in flight share the next statement.

As group commit does for writes: while a statement of a *family* (one read, or the single-row reads of one
table) is in flight, the reads of that family that arrive wait together, and as soon as it returns ONE
statement is sent for all of them: identical reads share its rows, and distinct members (ids) get theirs
from one `... = any(...)` statement. Dashboards polling the same answers from many screens cost the
database one statement per round trip instead of one per screen.

What it keeps: an answer always comes from a statement sent after its read was asked (a waiter never joins
a statement already sent, so a client that committed a write and then reads sees it); a read finding its
family idle is sent at once, in its own task, as before; an error reaches the waiters of that statement and
only them; a waiter that goes away (cancelled) cancels nothing else; the statement runs in the context of
its batch's first waiter (its deadline, the earliest); a batch holds at most `max_waiters` reads (a read
finding it full is sent on its own, as without collapsing).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
# Runs one statement for the given members (in the order they were first asked); what each member gets.
Runner = Callable[[Sequence[Hashable]], Awaitable[dict[Hashable, T]]]
MAX_WAITERS = 256


class Batch(Generic[T]):
    """The reads of one family waiting for its next statement."""

    __slots__ = ("context", "members", "run", "size")

    def __init__(self, run: Runner[T]) -> None:
        self.run, self.context, self.size = run, contextvars.copy_context(), 0
        self.members: dict[Hashable, list[asyncio.Future[T]]] = {}


class Collapsing(Generic[T]):
    """At most one statement in flight per family; reads asked meanwhile wait for the next one together."""

    def __init__(self, missing: T, max_waiters: int = MAX_WAITERS, in_flight: int = 1) -> None:
        self.missing = missing  # what a member its statement did not name gets
        self.max_waiters, self.in_flight = max_waiters, in_flight
        self.busy: dict[Hashable, int] = {}  # families with statements in flight: how many
        self.pending: dict[Hashable, Batch[T]] = {}
        self.running: set[asyncio.Task[None]] = set()

    async def ask(self, family: Hashable, member: Hashable, run: Runner[T]) -> T:
        """What `member` of `family` gets from a statement sent after this call; `run` sends it."""
        flying = self.busy.get(family, 0)
        if flying < self.in_flight:
            self.busy[family] = flying + 1
            try:
                return (await run((member,))).get(member, self.missing)
            finally:
                self._next(family)
        batch = self.pending.get(family)
        if batch is None:
            batch = self.pending[family] = Batch(run)
        elif batch.size >= self.max_waiters:
            return (await run((member,))).get(member, self.missing)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        batch.members.setdefault(member, []).append(future)
        batch.size += 1
        return await future

    def _next(self, family: Hashable) -> None:
        """The family's statement returned: send its waiting batch, if any, now."""
        batch = self.pending.pop(family, None)
        if batch is None:
            if self.busy[family] == 1:
                del self.busy[family]
            else:
                self.busy[family] -= 1
            return
        task = asyncio.get_running_loop().create_task(self._send(family, batch), context=batch.context)
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def _send(self, family: Hashable, batch: Batch[T]) -> None:
        try:
            waiting = {m: fs for m, fs in batch.members.items() if any(not f.done() for f in fs)}
            if not waiting:
                return  # every waiter went away
            try:
                found = await batch.run(tuple(waiting))
            except BaseException as error:
                for futures in waiting.values():
                    for future in futures:
                        if future.done():
                            continue
                        if isinstance(error, asyncio.CancelledError):
                            future.cancel()
                        else:
                            future.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                return
            for member, futures in waiting.items():
                answer = found.get(member, self.missing)
                for future in futures:
                    if not future.done():
                        future.set_result(answer)
        finally:
            self._next(family)


def identical(fetch: Callable[[], Awaitable[T]]) -> Runner[T]:
    """A runner for a family of identical reads (one member, None): `fetch()` answers them all."""

    async def run(members: Sequence[Hashable]) -> dict[Hashable, Any]:
        return {None: await fetch()}

    return run
