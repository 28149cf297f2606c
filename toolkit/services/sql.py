"""Ad-hoc SQL for analysts: one statement per call, values always bound.

Reads run as the reading role in a READ ONLY transaction, writes as the writing role, audited with their
statement and parameters in the same transaction. Each call's connection is closed afterwards, never pooled,
so no setting, lock, LISTEN, cursor or prepared statement outlives the call. What a role may not do, the
database refuses.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec
import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import pq
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from toolkit.db import UnitOfWork, is_disconnect, libpq_url
from toolkit.errors import Issue, NotPermitted, ReadOnlyQuery, ValidationFailed, driver_reason
from toolkit.frames.read import driver_connection
from toolkit.mixins.integrity import translate
from toolkit.mixins.queries import record_audit
from toolkit.repositories import AuditRepository

READ_ONLY_SQLSTATE = "25006"
APPEND_ONLY_SQLSTATE = "23001"  # restrict_violation, raised by the append-only triggers


def rows_to_frame(columns: list[str], rows: list[Any]) -> pd.DataFrame:
    """Rows of any query as a DataFrame: exact decimals, nullable integers, UTC times, string dtype."""
    arrays = {}
    for i, name in enumerate(columns):
        values = [r[i] for r in rows]
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    if not columns:
        return pd.DataFrame()

    def mapper(t: pa.DataType) -> Any:
        if pa.types.is_decimal(t):
            return pd.ArrowDtype(t)
        if pa.types.is_integer(t):
            return pd.Int64Dtype()
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return pd.StringDtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        return None

    frame: pd.DataFrame = pa.table(arrays).to_pandas(types_mapper=mapper)
    return frame


def bind(statement: str, params: dict[str, Any]) -> str:
    """`statement` with its `:name` parameters in the driver's form; every one given, none left over."""
    clause = text(statement)
    compiled = clause.compile(dialect=psycopg_dialect())
    names = set(compiled.binds)
    issues = [Issue(None, n, f"the statement uses :{n}; pass {n}=...") for n in sorted(names - set(params))]
    issues += [Issue(None, n, f"the statement has no :{n}") for n in sorted(set(params) - names)]
    if issues:
        raise ValidationFailed(issues)
    return str(compiled)


@functools.cache
def psycopg_dialect() -> Any:
    from sqlalchemy.dialects.postgresql.psycopg import dialect

    return dialect()  # type: ignore[no-untyped-call]


async def run_one(
    conn: psycopg.AsyncConnection[Any], sql: str, params: dict[str, Any]
) -> psycopg.AsyncCursor[Any]:
    """Run one statement inside the open transaction. Prepared (the extended protocol), so the server itself
    refuses a list of statements; one that ends the transaction is refused afterwards."""
    cursor = conn.cursor()
    await cursor.execute(sql, params, prepare=True)
    if conn.info.transaction_status != pq.TransactionStatus.INTRANS:
        raise ValidationFailed(
            Issue(
                None,
                None,
                "qa.sql() runs in a transaction of its own: BEGIN, COMMIT and ROLLBACK are refused",
            )
        )
    return cursor


async def fetched(cursor: psycopg.AsyncCursor[Any]) -> pd.DataFrame:
    if cursor.description is None:
        return pd.DataFrame()
    return rows_to_frame([c.name for c in cursor.description], await cursor.fetchall())


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
        self, statement: str, params: dict[str, Any], *, write: bool = False, actor: str
    ) -> pd.DataFrame:
        """Run one statement with `:name` parameters bound; read-only unless `write` (then audited)."""
        sql = bind(statement, params)
        try:
            return await (self._write(sql, statement, params, actor) if write else self._read(sql, params))
        except (psycopg.Error, sa_exc.DBAPIError) as error:
            cause = error.orig if isinstance(error, sa_exc.DBAPIError) else error
            mapped = refusal(cause) if isinstance(cause, psycopg.Error) else error
            if mapped is cause:
                raise
            raise mapped from None

    async def _read(self, sql: str, params: dict[str, Any]) -> pd.DataFrame:
        db = self.uow.database
        async with await psycopg.AsyncConnection.connect(
            libpq_url(db.read_url), autocommit=True, connect_timeout=db.connect_timeout
        ) as conn:
            await conn.execute("BEGIN READ ONLY")
            frame = await fetched(await run_one(conn, sql, params))
            # Never committed, so even what a read-only transaction allows (NOTIFY) takes no effect.
            await conn.execute("ROLLBACK")
            return frame

    async def _write(self, sql: str, statement: str, params: dict[str, Any], actor: str) -> pd.DataFrame:
        session = self.uow.session
        try:
            driver = await driver_connection(session)
            cursor = await run_one(driver, sql, params)
            frame = await fetched(cursor)
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
