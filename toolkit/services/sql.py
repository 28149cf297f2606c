"""Ad-hoc SQL for analysts: one statement per call, values always bound.

Reads run as the reading role in a READ ONLY transaction, writes as the writing role, audited with their
statement and parameters in the same transaction. Each call's connection is closed afterwards, never pooled,
so no setting, lock, LISTEN, cursor or prepared statement outlives the call. What a role may not do, the
database refuses.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pandas as pd
import psycopg
from psycopg import pq
from psycopg.adapt import Transformer
from psycopg.types.string import TextLoader
from sqlalchemy import exc as sa_exc

from toolkit.db import UnitOfWork, is_disconnect, libpq_url
from toolkit.errors import Issue, NotPermitted, ReadOnlyQuery, ValidationFailed, driver_reason
from toolkit.frames import polars
from toolkit.frames.origins import result_columns
from toolkit.frames.read import driver_connection
from toolkit.frames.results import result_frame, result_polars
from toolkit.mixins.integrity import translate
from toolkit.mixins.queries import record_audit
from toolkit.models import Base
from toolkit.repositories import AuditRepository
from toolkit.services.sql_params import bind

READ_ONLY_SQLSTATE = "25006"
APPEND_ONLY_SQLSTATE = "23001"  # restrict_violation, raised by the append-only triggers


async def run_one(
    conn: psycopg.AsyncConnection[Any], sql: str, params: dict[str, Any]
) -> psycopg.AsyncCursor[Any]:
    """Run one statement inside the open transaction. Prepared (the extended protocol), so the server itself
    refuses a list of statements; one that ends the transaction is refused afterwards."""
    cursor = conn.cursor()
    for name in ("json", "jsonb"):  # JSON as its text, which a frame's reader decodes (as frames do)
        cursor.adapters.register_loader(name, TextLoader)
    try:
        await cursor.execute(sql, params, prepare=True)
    except psycopg.ProgrammingError as error:
        if error.sqlstate is not None:
            raise
        if str(error).startswith("COPY cannot be used"):  # the role may COPY to us, but no frame comes back
            reason = (
                "qa.sql() does not run COPY: read a table with qa.<table>.frame() (a COPY itself) or a SELECT"
            )
            raise ValidationFailed(Issue(None, "statement", reason)) from None
        raise ValidationFailed(unsendable(conn, params) or [Issue(None, None, str(error))]) from None
    if conn.info.transaction_status != pq.TransactionStatus.INTRANS:
        raise ValidationFailed(
            Issue(
                None,
                None,
                "qa.sql() runs in a transaction of its own: BEGIN, COMMIT and ROLLBACK are refused",
            )
        )
    return cursor


def unsendable(conn: psycopg.AsyncConnection[Any], params: dict[str, Any]) -> list[Issue]:
    """The parameters whose values psycopg has no way to send, each named."""
    issues = []
    for name, value in params.items():
        try:
            Transformer(conn).as_literal(value)
        except psycopg.ProgrammingError:
            reason = f"a {type(value).__name__} cannot be sent to the database (pass text, a number, a time,"
            issues.append(Issue(None, name, reason + " a bool, None or a list of them)"))
    return issues


async def fetched(cursor: psycopg.AsyncCursor[Any], *, as_polars: bool = False) -> Any:
    """The statement's result as a frame: a model's column has `frame()`'s dtype, told by the database."""
    if cursor.description is None:
        return polars.require().DataFrame() if as_polars else pd.DataFrame()
    rows = await cursor.fetchall()
    columns = await result_columns(cursor, Base.metadata)
    if as_polars:
        return result_polars(columns, rows)
    return result_frame(columns, rows)


def refusal(error: psycopg.Error) -> Exception:
    """The toolkit error for a statement the database refused (a lost connection is left as it is)."""
    if is_disconnect(error) and not isinstance(error, psycopg.errors.QueryCanceled):
        return error
    code = error.sqlstate
    if code == READ_ONLY_SQLSTATE:
        return ReadOnlyQuery(
            "this statement writes, and qa.sql() is read-only: pass write=True (or %%qa_sql --write)"
            " to run it; nothing was written"
        )
    if code == "42601" and "multiple commands" in str(error):
        return ValidationFailed(
            Issue(None, None, "qa.sql() runs one statement per call: send them one by one")
        )
    if code == "42501" or code == APPEND_ONLY_SQLSTATE:
        return NotPermitted(f"the database refused it: {driver_reason(error)}; nothing was written")
    # A known constraint becomes its toolkit error; anything else is left to the face's one mapping
    # (toolkit/db_errors.py), which makes it a DatabaseError with the database's reason and SQLSTATE.
    return translate(error)


class SqlService:
    def __init__(self, uow: UnitOfWork, audit: AuditRepository) -> None:
        self.uow, self.audit = uow, audit

    async def query(
        self,
        statement: str,
        params: dict[str, Any],
        *,
        write: bool = False,
        actor: str,
        as_polars: bool = False,
    ) -> Any:
        """Run one statement with `:name` parameters bound; read-only unless `write` (then audited)."""
        sql = bind(statement, params)
        if as_polars:
            polars.require()
        try:
            if write:
                return await self._write(sql, statement, params, actor, as_polars)
            return await self._read(sql, params, as_polars)
        except (psycopg.Error, sa_exc.DBAPIError) as error:
            cause = error.orig if isinstance(error, sa_exc.DBAPIError) else error
            mapped = refusal(cause) if isinstance(cause, psycopg.Error) else error
            if mapped is cause:
                raise
            raise mapped from None

    async def _read(self, sql: str, params: dict[str, Any], as_polars: bool) -> Any:
        db = self.uow.database
        async with await psycopg.AsyncConnection.connect(
            libpq_url(db.read_url), autocommit=True, connect_timeout=db.connect_timeout
        ) as conn:
            await conn.execute("BEGIN READ ONLY")
            frame = await fetched(await run_one(conn, sql, params), as_polars=as_polars)
            # Never committed, so even what a read-only transaction allows (NOTIFY) takes no effect.
            await conn.execute("ROLLBACK")
            return frame

    async def _write(
        self, sql: str, statement: str, params: dict[str, Any], actor: str, as_polars: bool
    ) -> Any:
        session = self.uow.session
        try:
            driver = await driver_connection(session)
            cursor = await run_one(driver, sql, params)
            frame = await fetched(cursor, as_polars=as_polars)
            # The audit row goes to the real audit log, whatever the statement did to the session's settings.
            await driver.execute("SET LOCAL search_path = public, pg_temp")
            changes = {
                "statement": {"old": None, "new": statement},
                "parameters": {"old": None, "new": msgspec.to_builtins(params, enc_hook=str)},
                "rows": {"old": None, "new": cursor.rowcount},
            }
            await record_audit(self.audit, actor, "sql", "sql", 0, changes)
            await driver.commit()
            return frame
        finally:
            # The connection is closed, not pooled: whatever the statement left on it goes with it (before a
            # commit, closing it rolls back).
            await session.invalidate()
