"""Reads on hot standbys (`QUEACCOUNT_READ_DATABASE_URL` naming servers other than the primary).

The read pool opens each connection on a standby (libpq's `target_session_attrs=standby`, in random order
when there are several) as the reader; when none accepts it, on the primary as the same reader (a standby's
roles are its primary's), so reads go on while writes do. A connection on the primary is closed after
`RETRY_STANDBY_S`, and a failed attempt skips the standbys for as long, so they are tried again without
slowing every read down. A read whose standby connection is lost (the standby stopped) is read once more on
a fresh connection: reads change nothing, so a retry is safe. Which server answered comes from the server
itself (`in_hot_standby`, which PostgreSQL reports on every connection and updates on promotion), and each
standby's lag is measured at most once a second on a connection that just served a read.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from toolkit.deadline import BoundedConnection, NoAnswer
from toolkit.endpoints import ADDRESS
from toolkit.errors import driver_reason
from toolkit.pool import ConnectionPool

log = logging.getLogger("toolkit.replicas")

RETRY_STANDBY_S = 5.0
LAG_EVERY_S = 1.0
# Seconds the standby's replay is behind the last transaction it received (0 when it has applied all of it).
LAG_S = (
    "case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0"
    " else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end"
)
STATUS = f"select {LAG_S}, pg_wal_lsn_diff(%(primary)s::pg_lsn, pg_last_wal_replay_lsn())::bigint"


def on_standby(connection: psycopg.AsyncConnection[Any]) -> bool:
    return connection.info.parameter_status("in_hot_standby") == "on"


def server(connection: psycopg.AsyncConnection[Any]) -> str:
    return f"{connection.info.host}:{connection.info.port}"


@dataclass
class Served:
    """What answered the reads of one request: all on standbys or not, and the largest lag measured."""

    standby: bool | None = None
    lag_s: float | None = None


_SERVED: ContextVar[Served | None] = ContextVar("queaccount_served", default=None)


@contextmanager
def noting_reads() -> Iterator[Served]:
    """Within the block, reads of the standby pool note which server answered them."""
    served = Served()
    token = _SERVED.set(served)
    try:
        yield served
    finally:
        _SERVED.reset(token)


def pass_on(served: Served) -> None:
    """Add to the current request's note (`noting_reads`) what answered a read made for it by another task
    (a collapsed read, toolkit/collapse.py)."""
    mine = _SERVED.get()
    if mine is None or served.standby is None:
        return
    mine.standby = served.standby and mine.standby is not False
    if served.lag_s is not None:
        mine.lag_s = max(served.lag_s, mine.lag_s or 0.0)


def reading_on_standbys(standbys: str) -> Callable[..., Awaitable[psycopg.AsyncConnection[Any]]]:
    """The connect function of an engine whose URL is the primary's reader: on a standby first."""

    async def connect(**params: Any) -> psycopg.AsyncConnection[Any]:
        primary = make_conninfo("", **{k: params.pop(k) for k in ADDRESS if k in params})
        return await open_for_reads(standbys, primary, **params)

    return connect


async def open_for_reads(standbys: str, primary: str, **options: Any) -> psycopg.AsyncConnection[Any]:
    """A connection on a standby (`standbys`: one conninfo naming them all), else on the primary."""
    try:
        return await BoundedConnection.connect(standbys, **options)
    except NoAnswer:
        raise  # the request's time is up: no time left for the primary either
    except psycopg.OperationalError as error:
        log.warning("no standby accepted a connection, reading from the primary: %s", driver_reason(error))
        return await BoundedConnection.connect(primary, **options)


@dataclass
class Origin:
    standby: bool
    opened: float


class StandbyPool(ConnectionPool):
    """The read pool when there are standbys (see the module's docstring); `conninfo` is the primary's."""

    def __init__(self, standbys: str, primary: str, max_size: int, wait_s: float, **options: Any) -> None:
        super().__init__(primary, max_size, wait_s, **options)
        self.standbys = standbys
        self.origins: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], Origin] = (
            weakref.WeakKeyDictionary()
        )
        self.skip_standbys_until = 0.0
        self.lags: dict[str, tuple[float | None, float]] = {}  # standby → (lag in s, when measured)

    async def open(self) -> psycopg.AsyncConnection[Any]:
        connection: psycopg.AsyncConnection[Any]
        if time.monotonic() < self.skip_standbys_until:
            connection = await super().open()
        else:
            connection = await open_for_reads(
                self.standbys, self.conninfo, autocommit=True, **self.connect_options
            )
        standby = on_standby(connection)
        if not standby:
            self.skip_standbys_until = time.monotonic() + RETRY_STANDBY_S
        self.origins[connection] = Origin(standby, time.monotonic())
        return connection

    async def fetch(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        for attempt in (1, 2):
            connection = await self.acquire()
            try:
                cursor = await connection.execute(sql, params)
                rows = await cursor.fetchall()
                await self.note(connection)
                return rows
            except psycopg.OperationalError as error:
                if attempt == 2 or not self.lost_standby(connection, error):
                    raise
            finally:
                self.release(connection)
        raise AssertionError("unreachable")

    def lost_standby(self, connection: psycopg.AsyncConnection[Any], error: Exception) -> bool:
        """Whether `error` is the loss of a standby connection (worth one more try), not a timeout."""
        origin = self.origins.get(connection)
        lost = connection.broken or connection.closed
        return bool(origin and origin.standby and lost and not isinstance(error, NoAnswer))

    async def note(self, connection: psycopg.AsyncConnection[Any]) -> None:
        """Tell the request (`noting_reads`) which server answered, measuring the standby's lag when due."""
        served = _SERVED.get()
        if served is None:
            return
        standby = on_standby(connection)
        served.standby = standby and served.standby is not False
        if not standby:
            return
        lag, measured = self.lags.get(server(connection), (None, 0.0))
        if time.monotonic() - measured > LAG_EVERY_S:
            [(lag,)] = await (await connection.execute(f"select {LAG_S}")).fetchall()
            self.lags[server(connection)] = lag, time.monotonic()
        if lag is not None:
            served.lag_s = max(lag, served.lag_s or 0.0)

    def release(self, connection: psycopg.AsyncConnection[Any]) -> None:
        origin = self.origins.get(connection)
        stale = (
            origin is not None and not origin.standby and time.monotonic() - origin.opened > RETRY_STANDBY_S
        )
        if stale and not self.closed and time.monotonic() >= self.skip_standbys_until:
            self._drop(connection)  # on the primary for a while: let the next one try the standbys again
            return
        super().release(connection)

    async def status(self, primary_lsn: str) -> dict[str, Any]:
        """Where reads go now and, on a standby, how far behind the primary (`primary_lsn`) it is."""
        async with self.connection() as connection:
            if not on_standby(connection):
                return {"reads_from": "primary", "reason": "no standby accepts connections"}
            [(lag_s, lag_bytes)] = await (
                await connection.execute(STATUS, {"primary": primary_lsn})
            ).fetchall()
        return {
            "reads_from": "standby",
            "standby": server(connection),
            "lag_s": lag_s,
            "lag_bytes": lag_bytes,
        }
