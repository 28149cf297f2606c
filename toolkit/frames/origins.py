"""Which model column each column of a query's result is, as the database tells it.

PostgreSQL's RowDescription names, for each result column read straight from a table (also through
subqueries, CTEs and aliases), the table's OID and the column's number; an expression has none. psycopg
keeps them on the result (`ftable`, `ftablecol`); one catalog query turns them into names, and the models'
metadata (passed in) into columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.postgres import types as pg_types
from sqlalchemy import Column, MetaData

OID = {name: pg_types[name].oid for name in ("numeric", "json", "jsonb")}
ORIGINS = """
    select a.attrelid::int8, a.attnum::int, n.nspname::text, c.relname::text, a.attname::text
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_class c on c.oid = a.attrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where a.attrelid = any(%(tables)s::oid[]) and a.attnum > 0
"""


@dataclass(frozen=True)
class ResultColumn:
    """One column of a result: its name, PostgreSQL type (and numeric precision/scale) and model column."""

    name: str
    type_oid: int
    origin: Column[Any] | None = None
    precision: int | None = None
    scale: int | None = None


def model_column(metadata: MetaData, schema: str, table: str, name: str) -> Column[Any] | None:
    """The model column stored as `schema.table.name`, None when no model has that table."""
    for candidate in metadata.tables.values():
        if candidate.name == table and (candidate.schema or "public") == schema:
            return candidate.c.get(name)
    return None


async def result_columns(cursor: psycopg.AsyncCursor[Any], metadata: MetaData) -> list[ResultColumn]:
    """Each result column with the model column it was read from (PostgreSQL's RowDescription gives the
    table OID and column number of a column read straight from a table; 0 for an expression)."""
    result, description = cursor.pgresult, cursor.description or []
    assert result is not None, "a statement with a description has a result"
    sources = [(result.ftable(i), result.ftablecol(i)) for i in range(result.nfields)]
    names: dict[tuple[int, int], tuple[str, str, str]] = {}
    if tables := sorted({oid for oid, _ in sources if oid}):
        found = await cursor.connection.execute(ORIGINS, {"tables": tables})
        names = {(oid, number): tuple(rest) for oid, number, *rest in await found.fetchall()}
    return [
        ResultColumn(
            c.name,
            c.type_code,
            model_column(metadata, *names[source]) if source in names else None,
            c.precision if c.type_code == OID["numeric"] else None,
            c.scale if c.type_code == OID["numeric"] else None,
        )
        for c, source in zip(description, sources, strict=True)
    ]
