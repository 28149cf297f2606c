from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import DBAPIError

from toolkit import retry


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def failing(times: int, sqlstate: str, calls: list[int]):
    @retry.retry_transient
    async def operation() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise DBAPIError("UPDATE accounts ...", {}, PgError(sqlstate))
        return "done"

    return operation


async def test_deadlocks_and_serialization_failures_are_retried_until_they_pass():
    calls: list[int] = []
    assert await failing(2, "40P01", calls)() == "done"
    assert len(calls) == 3
    calls.clear()
    assert await failing(1, "40001", calls)() == "done"


async def test_other_errors_are_not_retried_and_a_lasting_race_is_raised():
    calls: list[int] = []
    with pytest.raises(DBAPIError):
        await failing(1, "23505", calls)()
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(DBAPIError):
        await failing(99, "40P01", calls)()
    assert len(calls) == retry.ATTEMPTS


async def test_a_deadlock_raised_by_psycopg_itself_is_retried_too():
    """Frame writes run COPY and UPDATE on the driver connection, so their races arrive unwrapped."""
    calls: list[int] = []

    @retry.retry_transient
    async def operation() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        if len(calls) == 2:
            raise psycopg.errors.SerializationFailure("could not serialize access")
        return "done"

    assert await operation() == "done" and len(calls) == 3
    calls.clear()

    @retry.retry_transient
    async def refused() -> str:
        calls.append(1)
        raise psycopg.errors.UniqueViolation("duplicate key")

    with pytest.raises(psycopg.errors.UniqueViolation):
        await refused()
    assert len(calls) == 1
