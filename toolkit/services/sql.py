"""Ad-hoc SQL for analysts: read-only unless asked, values always bound, writes audited."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from toolkit.db import UnitOfWork
from toolkit.errors import ReadOnlyQuery
from toolkit.mixins.queries import record_audit
from toolkit.repositories import AuditRepository

READ_ONLY_SQLSTATE = "25006"


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


def as_frame(result: Any) -> pd.DataFrame:
    if not result.returns_rows:
        return pd.DataFrame()
    return rows_to_frame(list(result.keys()), list(result.fetchall()))


class SqlService:
    def __init__(self, uow: UnitOfWork, audit: AuditRepository) -> None:
        self.uow, self.audit = uow, audit

    async def query(
        self, statement: str, params: dict[str, Any], *, write: bool = False, actor: str
    ) -> pd.DataFrame:
        """Run `statement` with `:name` parameters bound; in a READ ONLY transaction unless `write`."""
        session = self.uow.session
        if not write:
            await session.execute(text("SET TRANSACTION READ ONLY"))
            try:
                frame = as_frame(await session.execute(text(statement), params))
            except DBAPIError as error:
                if getattr(error.orig, "sqlstate", None) == READ_ONLY_SQLSTATE:
                    raise ReadOnlyQuery(
                        "this statement writes, and qa.sql() is read-only: pass write=True"
                        " (or %%qa_sql --write) to run it; nothing was written"
                    ) from None
                raise
            await session.rollback()
            return frame
        async with self.uow.atomic():
            result: Any = await session.execute(text(statement), params)
            frame = as_frame(result)
            rows = {"old": None, "new": result.rowcount}
            await record_audit(
                self.audit,
                actor,
                "sql",
                "sql",
                0,
                {"statement": {"old": None, "new": statement}, "rows": rows},
            )
        return frame
        async with self.uow.atomic():
            result = await session.execute(text(statement), params)
            frame = (
                rows_to_frame(list(result.keys()), result.fetchall())
                if result.returns_rows
                else pd.DataFrame()
            )
            changes = {
                "statement": {"old": None, "new": statement},
                "rows": {"old": None, "new": result.rowcount},
            }
            await record_audit(self.audit, actor, "sql", "sql", 0, changes)
        return frame
