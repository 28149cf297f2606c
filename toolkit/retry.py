"""Bounded retries of whole service operations that PostgreSQL aborted to resolve a race.

A deadlock or serialization failure rolls the transaction back completely, so running the operation again
from the start is safe; users see the result, not the race. Anything else, and a race that persists past
the last attempt, is raised as it is.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import psycopg
from sqlalchemy.exc import DBAPIError

P = ParamSpec("P")
T = TypeVar("T")
TRANSIENT = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
ATTEMPTS = 5
log = logging.getLogger("toolkit.retry")


def is_transient(error: BaseException) -> bool:
    """A deadlock or serialization failure, raised through SQLAlchemy or straight from psycopg (frame
    writes COPY and UPDATE on the driver connection under the session)."""
    return _sqlstate(error) in TRANSIENT


def _sqlstate(error: BaseException) -> str | None:
    if isinstance(error, DBAPIError):
        return getattr(error.orig, "sqlstate", None)
    return error.sqlstate if isinstance(error, psycopg.Error) else None


def retry_transient(operation: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run a service write again (up to 5 attempts, with jittered backoff) after a deadlock or
    serialization failure. The operation must run its writes inside `uow.atomic()`."""

    @functools.wraps(operation)
    async def attempt(*args: P.args, **kwargs: P.kwargs) -> T:
        for number in range(1, ATTEMPTS + 1):
            try:
                return await operation(*args, **kwargs)
            except (DBAPIError, psycopg.Error) as error:
                if not is_transient(error) or number == ATTEMPTS:
                    raise
                state = _sqlstate(error)
                log.info("retrying %s after SQLSTATE %s (attempt %d)", operation.__qualname__, state, number)
                await asyncio.sleep(random.uniform(0, 0.02 * 2**number))
        raise AssertionError("unreachable")

    return attempt


__all__ = ["is_transient", "retry_transient"]
