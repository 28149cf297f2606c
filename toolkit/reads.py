"""The lean read side: rows as last committed, each read one statement on the database's autocommit pool.

No session, no transaction and no ORM objects: what the sidecar answers its GETs with (a read model, as views
have). Each query is built by SQLAlchemy from the model once per shape (its `key`) and compiled for the
driver; a call binds only the values, by name, and psycopg prepares the statements it sees often.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Select,
    Text,
    any_,
    bindparam,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from toolkit.db import Database
from toolkit.errors import NotFound

if TYPE_CHECKING:
    from toolkit.mixins.crud import CRUDMixin

Compiled = tuple[str, list[str]]
Row = tuple[Any, ...]
Query = Select[Any] | CompoundSelect[Any]
# The snapshot, and on a standby its replay position and start: a standby's tag is never a primary's, and
# moves with every WAL record it replays (sidecar/caching.py). A primary that never recovered adds nothing.
SNAPSHOT_TEXT = (
    "pg_current_snapshot()::text || coalesce(' @' || pg_last_wal_replay_lsn()::text || ' '"
    " || extract(epoch from pg_postmaster_start_time())::text, '')"
)
SNAPSHOT = f"select {SNAPSHOT_TEXT}"
MAX_SHAPES = 2000  # queries compiled and kept; more (clients inventing shapes) starts the cache afresh
_COMPILED: dict[Hashable, Compiled] = {}
IDS = ARRAY(BigInteger)


def compiled(database: Database, key: Hashable, build: Callable[[], Query]) -> Compiled:
    """`build()` compiled for the driver, once per `key`: (SQL with %(name)s parameters, column names)."""
    found = _COMPILED.get(key)
    if found is None:
        query = build()
        found = str(query.compile(dialect=database.engine.dialect)), list(query.selected_columns.keys())
        if len(_COMPILED) >= MAX_SHAPES:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found


async def fetch(
    database: Database,
    key: Hashable,
    build: Callable[[], Query],
    params: Mapping[str, Any],
) -> tuple[list[str], list[Row]]:
    """The column names and rows of one read outside any transaction."""
    sql, names = compiled(database, key, build)
    return names, await database.read(sql, params)


def with_snapshot(query: Select[Any]) -> CompoundSelect[Any]:
    """A row of the statement's snapshot (and nulls) and `query`'s rows in their order, each led by a null:
    one statement, so one snapshot. (Even a parallel plan keeps each part's rows in order.)"""
    page = query.subquery("page")
    head = select(literal_column(SNAPSHOT_TEXT, Text).label("pg_snapshot"), *(null() for _ in page.c))
    return union_all(head, select(null(), page))


class Page:
    """The rows of a read with the snapshot they were read in. Reads collapsed into one statement share one
    Page (toolkit/collapse.py): `derived` keeps what each would make of it alike (an encoded body), made
    once; nothing else may change it."""

    __slots__ = ("derived", "rows", "snapshot")

    def __init__(self, rows: list[Row], snapshot: str) -> None:
        self.rows, self.snapshot = rows, snapshot
        self.derived: dict[Hashable, Any] = {}

    @classmethod
    def of(cls, found: list[Row]) -> Page:
        """The Page of `with_snapshot()`'s rows."""
        return cls([row[1:] for row in found if row[0] is None], next(str(row[0]) for row in found if row[0]))


class Reads:
    """Committed reads of any model, named by its repository class; one per container, no session needed."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.gets: dict[type[CRUDMixin[Any, Any, Any]], tuple[str, str, list[str]]] = {}

    def get_statements(self, repository: type[CRUDMixin[Any, Any, Any]]) -> tuple[str, str, list[str]]:
        """The SQL of `get` (the entity's fields of the row `id`), of its batched twin (the rows of the `ids`
        and, last, their id) and the field names."""
        table = repository.model_table()
        fields = [table.c[f] for f in repository.entity.__struct_fields__]
        one = select(*fields).where(table.c.id == bindparam("id"))
        many = select(*fields, table.c.id).where(table.c.id == any_(bindparam("ids", type_=IDS)))
        dialect = self.database.engine.dialect
        return (
            str(one.compile(dialect=dialect)),
            str(many.compile(dialect=dialect)),
            list(one.selected_columns.keys()),
        )

    async def get(self, repository: type[CRUDMixin[Any, Any, Any]], id: int) -> dict[str, Any]:
        """The row with this id as {field: value} over its entity's fields; NotFound when there is none."""
        found = self.gets.get(repository)
        if found is None:
            found = self.gets[repository] = self.get_statements(repository)
        one, many, names = found
        rows = await self.database.read_by_id(one, many, id)
        if not rows:
            raise NotFound(repository.name, id)
        return dict(zip(names, rows[0], strict=True))

    async def rows(self, key: Hashable, build: Callable[[], Query], params: Mapping[str, Any]) -> list[Row]:
        """Every row of `build()` (compiled once per `key`), as tuples in its column order."""
        return (await fetch(self.database, key, build, params))[1]

    async def value(self, key: Hashable, build: Callable[[], Select[Any]], params: Mapping[str, Any]) -> Any:
        """The first column of the first row of `build()` (e.g. a count)."""
        return (await fetch(self.database, key, build, params))[1][0][0]

    async def snapshot(self) -> str:
        """The database snapshot now (`xmin:xmax:xip,...`): it changes whenever a write commits."""
        return str((await self.database.read(SNAPSHOT, {}))[0][0])

    async def rows_and_snapshot(
        self, key: Hashable, build: Callable[[], Select[Any]], params: Mapping[str, Any]
    ) -> tuple[list[Row], str]:
        """`rows()` and the snapshot they were read in, from one statement."""
        page = await self.page(key, build, params)
        return page.rows, page.snapshot

    async def page(self, key: Hashable, build: Callable[[], Select[Any]], params: Mapping[str, Any]) -> Page:
        """`rows_and_snapshot()` as one Page, shared by the reads collapsed into its statement."""
        sql, _ = compiled(self.database, (key, "snapshot"), lambda: with_snapshot(build()))
        page: Page = await self.database.read_as(sql, params, Page.of)
        return page

    async def planned_rows(
        self, key: Hashable, build: Callable[[], Select[Any]], params: Mapping[str, Any]
    ) -> int:
        """The rows the planner expects `build()` to return (EXPLAIN: nothing is read)."""
        sql, _ = compiled(self.database, key, build)
        [[plan]] = await self.database.read("explain (format json) " + sql, params)
        return int(plan[0]["Plan"]["Plan Rows"])
