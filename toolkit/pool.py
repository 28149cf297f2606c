"""A small pool of autocommit psycopg connections for reads outside any transaction.

It has no background work and never pings. A connection is opened by the request that finds none idle, so
while the database is down a read fails at once with the driver's own error, and the first read after it is
back opens a fresh connection. A connection the server dropped takes every idle one with it (they were opened
before the outage too), as SQLAlchemy's pool does on a disconnect. Its connections keep the current deadline
(toolkit/deadline.py): one whose query the deadline abandoned is closed, so it is dropped here too.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import pq

from toolkit.deadline import BoundedConnection, remaining_s
from toolkit.errors import DatabaseUnavailable


class ConnectionPool:
    def __init__(self, conninfo: str, max_size: int, wait_s: float, **connect_options: Any) -> None:
        self.conninfo, self.max_size, self.wait_s = conninfo, max_size, wait_s
        self.connect_options = connect_options
        self.idle: list[psycopg.AsyncConnection[Any]] = []
        self.waiting: deque[asyncio.Future[psycopg.AsyncConnection[Any] | None]] = deque()
        self.size = 0  # connections open or being opened
        self.closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection for one or more statements; a lost one raises psycopg.OperationalError as usual."""
        connection = await self.acquire()
        try:
            yield connection
        finally:
            self.release(connection)

    async def fetch(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of one statement: `connection()` without its overhead."""
        connection = await self.acquire()
        try:
            cursor = await connection.execute(sql, params)
            return await cursor.fetchall()
        finally:
            self.release(connection)

    async def acquire(self) -> psycopg.AsyncConnection[Any]:
        if self.closed:
            raise DatabaseUnavailable("the connection pool is closed")
        if self.idle:
            return self.idle.pop()
        if self.size >= self.max_size:
            handed = await self._wait()
            if handed is not None:
                return handed
        self.size += 1  # a slot handed over as None (its connection was dropped) is this one's to fill
        try:
            return await self.open()
        except BaseException:
            self.size -= 1
            self._hand_over(None)
            raise

    async def open(self) -> psycopg.AsyncConnection[Any]:
        """A new connection (toolkit/replicas.py chooses the server its connections open on)."""
        connection: psycopg.AsyncConnection[Any] = await BoundedConnection.connect(
            self.conninfo, autocommit=True, **self.connect_options
        )
        return connection

    async def _wait(self) -> psycopg.AsyncConnection[Any] | None:
        """Wait in line for a returned connection (or the right to open one), at most `wait_s` seconds (less
        when the current deadline comes first)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[psycopg.AsyncConnection[Any] | None] = loop.create_future()
        self.waiting.append(waiter)
        seconds = remaining_s(self.wait_s)
        timer = loop.call_later(seconds, self._expire, waiter, seconds)  # cheaper than asyncio.wait_for
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                handed = waiter.result()  # handed over just as this request was cancelled: pass it on
                if handed is None:
                    self._hand_over(None)
                else:
                    self.release(handed)
            raise
        finally:
            timer.cancel()

    def _expire(self, waiter: asyncio.Future[psycopg.AsyncConnection[Any] | None], seconds: float) -> None:
        if not waiter.done():
            waiter.set_exception(
                DatabaseUnavailable(f"no database connection became free within {seconds:.3g} s")
            )

    def release(self, connection: psycopg.AsyncConnection[Any]) -> None:
        pgconn = connection.pgconn
        if (
            not self.closed
            and pgconn.status == pq.ConnStatus.OK
            and pgconn.transaction_status == pq.TransactionStatus.IDLE
        ):
            if not self._hand_over(connection):
                self.idle.append(connection)
            return
        self._drop(connection)
        if connection.broken:
            for idle in self.idle:
                self._drop(idle)
            self.idle.clear()

    def _drop(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self.size -= 1
        connection.pgconn.finish()
        self._hand_over(None)

    def _hand_over(self, connection: psycopg.AsyncConnection[Any] | None) -> bool:
        """Give a returned connection (or, with None, the right to open one) to the longest waiter."""
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

    async def close(self) -> None:
        self.closed = True
        idle, self.idle = self.idle, []
        for connection in idle:
            await connection.close()
        self.size -= len(idle)
