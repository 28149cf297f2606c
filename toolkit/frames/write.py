"""Writes of many rows, audited: updates through a temporary table and one UPDATE, inserts by COPY."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from psycopg import sql
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.frames.copy_in import bulk_connection, copy_into_temp, copy_rows, fetch, reserve_ids
from toolkit.frames.read import driver_connection
from toolkit.frames.validate import FrameSpec


def temp_columns(spec: FrameSpec, names: list[str], extra: dict[str, str]) -> dict[str, str]:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    typed = {n: str(spec.table.c[n].type.compile(dialect=dialect)) for n in names}
    return typed | extra


def _audit_json(names: list[str], old: str, new: str, guard: str, extra: sql.Composable) -> sql.Composable:
    """`{"name": {"old": ..., "new": ...}, ...}` per row, built as text and cast once: jsonb_build_object per
    cell costs twice as much on a million rows. Only the cells whose `guard<name>` is true, then `extra`."""
    parts: list[sql.Composable] = []
    for n in names:
        pair: sql.Composable = sql.SQL("{key} || {old} || ',\"new\":' || {new} || '}}'").format(
            key=sql.Literal(f'"{n}":{{"old":'),
            old=_json_text(sql.SQL("{}.{}").format(sql.Identifier(old), sql.Identifier(n))),
            new=_json_text(sql.SQL("{}.{}").format(sql.Identifier(new), sql.Identifier(n))),
        )
        parts.append(sql.SQL("CASE WHEN c.{} THEN {} END").format(sql.Identifier(f"{guard}{n}"), pair))
    parts.append(extra)
    return sql.SQL("('{{' || concat_ws(',', {}) || '}}')::jsonb").format(sql.SQL(", ").join(parts))


def _json_text(value: sql.Composable) -> sql.Composable:
    return sql.SQL("coalesce(to_json({})::text, 'null')").format(value)


def returns_old_values(conn: Any) -> bool:
    """Whether the server takes `RETURNING old.*` (PostgreSQL 18 and later)."""
    version: int = conn.info.server_version
    return version >= 180000


async def apply_updates(
    session: AsyncSession, spec: FrameSpec, changes: pd.DataFrame, actor: str, entity: str
) -> list[int]:
    """Update only the changed cells of each row whose version still matches; audit each row. Returns ids.

    RETURNING sees old and new values together and builds the audit there, with no second pass: through
    `old.*` on PostgreSQL 18 and later, else through `o`, the same table joined in FROM (the statement's
    snapshot). A row changed since the snapshot has a new version, so the UPDATE skips it and the caller
    sees fewer ids than rows.
    """
    names = [n for n in spec.editable if f"ch_{n}" in changes.columns]
    columns = temp_columns(spec, [spec.key, "version", *names], {f"ch_{n}": "boolean" for n in names})
    await copy_into_temp(session, "qa_changes", columns, changes)
    table = sql.Identifier(spec.table.name)
    sets = sql.SQL(", ").join(
        sql.SQL("{c} = CASE WHEN c.{m} THEN c.{c} ELSE t.{c} END").format(
            c=sql.Identifier(n), m=sql.Identifier(f"ch_{n}")
        )
        for n in names
    )
    returning_old = returns_old_values(await driver_connection(session))
    old = "old" if returning_old else "o"
    self_join = sql.SQL("" if returning_old else "JOIN {} o ON o.id = c.id").format(table)
    version = sql.SQL("""'"version":{{"old":' || {}.version || ',"new":' || t.version || '}}'""").format(
        sql.Identifier(old)
    )
    statement = sql.SQL(
        """
        WITH upd AS (
            UPDATE {table} t SET {sets}, version = t.version + 1, updated_at = now()
            FROM qa_changes c {self_join}
            WHERE t.id = c.id AND t.version = c.version AND {guard}
            RETURNING t.id, {audit} AS changes
        ), audited AS (
            INSERT INTO audit_log (actor, action, entity, entity_id, changes)
            SELECT %(actor)s, 'update', %(entity)s, id, changes FROM upd
            RETURNING entity_id
        )
        SELECT coalesce(array_agg(entity_id), '{{}}') FROM audited
        """
    ).format(
        table=table,
        sets=sets,
        self_join=self_join,
        guard=sql.SQL(spec.update_guard or "TRUE"),
        audit=_audit_json(names, old, "c", "ch_", version),
    )
    rows = await fetch(session, statement.as_string(), {"actor": actor, "entity": entity})
    ids: list[int] = rows[0][0]
    return ids


async def insert_rows(
    session: AsyncSession, spec: FrameSpec, rows: pd.DataFrame, actor: str, entity: str
) -> list[int]:
    """COPY every row straight into the table (ids drawn up front, in frame order) and audit the load as one
    row per run of consecutive ids. Returns the new ids.

    No temporary table and no INSERT ... SELECT: COPY writes the table in batches, which costs less than
    inserting row by row. The load's audit names the ids, the row count and the columns given; the values
    are the rows' first version (every later change is audited with its old values), so they are not
    written a second time.
    """
    names = [n for n in spec.editable if n in rows.columns]
    await bulk_connection(session)  # drawing a million ids materialises a million-row series
    drawn = await reserve_ids(session, spec.table, len(rows))
    await copy_rows(session, spec.table.name, rows[names].assign(**{spec.key: drawn})[[spec.key, *names]])
    firsts, lasts = id_runs(drawn)
    await fetch(
        session,
        """
        INSERT INTO audit_log (actor, action, entity, entity_id, last_entity_id, changes)
        SELECT %(actor)s, 'create', %(entity)s, first, last,
               jsonb_build_object('rows', last - first + 1, 'columns', %(columns)s::jsonb)
        FROM unnest(%(firsts)s::bigint[], %(lasts)s::bigint[]) AS r(first, last)
        """,
        {
            "actor": actor,
            "entity": entity,
            "columns": json.dumps(names),
            "firsts": firsts.tolist(),
            "lasts": lasts.tolist(),
        },
    )
    new_ids: list[int] = drawn.tolist()
    return new_ids


def id_runs(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The runs of consecutive values in `ids` (sorted ascending): their first and last values."""
    breaks = np.flatnonzero(np.diff(ids) != 1)
    return ids[np.r_[0, breaks + 1]], ids[np.r_[breaks, len(ids) - 1]]
