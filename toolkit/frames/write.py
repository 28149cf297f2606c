"""Writes of many rows, audited: updates through a temporary table and one UPDATE, inserts by COPY."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from psycopg import sql
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.frames.copy_in import copy_drawing_ids, copy_into_temp, copy_rows, fetch
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
    session: AsyncSession,
    spec: FrameSpec,
    changes: pd.DataFrame,
    actor: str,
    entity: str,
    previous: pd.DataFrame | None = None,
) -> list[int]:
    """Update only the changed cells of each row that nobody changed since it was read; audit each row.
    Returns the ids updated.

    A row is unchanged since it was read when its version still matches (`spec.version`), or, for a model
    without one, when every compared column still holds the value in `previous` (the rows as `diff()` read
    them). RETURNING sees old and new values together and builds the audit there, with no second pass:
    through `old.*` on PostgreSQL 18 and later, else through `o`, the same table joined in FROM (the
    statement's snapshot). A row changed meanwhile is skipped, so the caller sees fewer ids than rows.
    """
    version = spec.version
    names = [n for n in spec.editable if f"ch_{n}" in changes.columns]
    if version is not None:
        # A column no row changes is neither sent nor SET: fewer cells to COPY, and a trigger on it (`UPDATE
        # OF status`) is not even evaluated for a frame that changes no status. (Without a version, every
        # column read is compared to find rows changed meanwhile, so all are sent.)
        names = [n for n in names if changes[f"ch_{n}"].any()]
    flags = {f"ch_{n}": "boolean" for n in names}
    if version is None:
        assert previous is not None, "a model without a version column needs the values read at diff()"
        changes = changes.assign(**{f"o_{n}": previous.loc[changes.index, n] for n in names})
        typed = temp_columns(spec, names, {})
        olds = {f"o_{n}": typed[n] for n in names}
        columns = temp_columns(spec, [spec.key, *names], flags | olds)
    else:
        columns = temp_columns(spec, [spec.key, version, *names], flags)
    await copy_into_temp(session, "qa_changes", columns, changes)
    table = sql.Identifier(spec.table.name)
    sets: list[sql.Composable] = [
        sql.SQL("{c} = CASE WHEN c.{m} THEN c.{c} ELSE t.{c} END").format(
            c=sql.Identifier(n), m=sql.Identifier(f"ch_{n}")
        )
        for n in names
    ]
    returning_old = returns_old_values(await driver_connection(session))
    old = "old" if returning_old else "o"
    self_join = sql.SQL("" if returning_old else "JOIN {} o ON o.id = c.id").format(table)
    if version is None:
        unchanged = sql.SQL(" AND ").join(
            sql.SQL("t.{c} IS NOT DISTINCT FROM c.{o}").format(
                c=sql.Identifier(n), o=sql.Identifier(f"o_{n}")
            )
            for n in names
        )
        audited_version: sql.Composable = sql.SQL("NULL")
    else:
        v = sql.Identifier(version)
        sets.append(sql.SQL("{v} = t.{v} + 1").format(v=v))
        unchanged = sql.SQL("t.{v} = c.{v}").format(v=v)
        audited_version = sql.SQL("""{key} || {o}.{v} || ',"new":' || t.{v} || '}}'""").format(
            key=sql.Literal(f'"{version}":{{"old":'), o=sql.Identifier(old), v=v
        )
    if "updated_at" in spec.table.c:
        sets.append(sql.SQL("updated_at = now()"))
    statement = sql.SQL(
        """
        WITH upd AS (
            UPDATE {table} t SET {sets}
            FROM qa_changes c {self_join}
            WHERE t.id = c.id AND {unchanged} AND {guard}
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
        sets=sql.SQL(", ").join(sets),
        self_join=self_join,
        unchanged=unchanged,
        guard=sql.SQL(spec.update_guard or "TRUE"),
        audit=_audit_json(names, old, "c", "ch_", audited_version),
    )
    rows = await fetch(session, statement.as_string(), {"actor": actor, "entity": entity})
    ids: list[int] = rows[0][0]
    return ids


async def insert_rows(
    session: AsyncSession, spec: FrameSpec, rows: pd.DataFrame, actor: str, entity: str
) -> list[int]:
    """COPY every row straight into the table (its ids drawn by the COPY, in frame order) and audit the load
    as one row per run of consecutive ids. Returns the new ids.

    No temporary table and no INSERT ... SELECT: COPY writes the table in batches, which costs less than
    inserting row by row. The load's audit names the ids, the row count and the columns given; the values
    are the rows' first version (every later change is audited with its old values), so they are not
    written a second time.
    """
    names = [n for n in spec.editable if n in rows.columns]
    drawn = await copy_drawing_ids(
        session, spec.table, len(rows), lambda: copy_rows(session, spec.table.name, rows[names])
    )
    await audit_inserts(session, spec, drawn, names, actor, entity)
    new_ids: list[int] = drawn.tolist()
    return new_ids


async def audit_inserts(
    session: AsyncSession, spec: FrameSpec, drawn: np.ndarray, names: list[str], actor: str, entity: str
) -> None:
    """The audit of a load of new rows `drawn` (ascending ids): one row per run of consecutive ids, naming
    the row count and the columns given."""
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


def id_runs(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The runs of consecutive values in `ids` (sorted ascending): their first and last values."""
    breaks = np.flatnonzero(np.diff(ids) != 1)
    return ids[np.r_[0, breaks + 1]], ids[np.r_[breaks, len(ids) - 1]]
