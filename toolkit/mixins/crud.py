"""The generic repository: CRUDMixin[Model, Entity, Update]. Concrete repositories are a few lines."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import msgspec
from msgspec import Struct
from sqlalchemy import (
    ARRAY,
    ClauseElement,
    ColumnElement,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.db import Database
from toolkit.entities import Entity, changes_of
from toolkit.errors import Issue, NotFound, StaleVersion, ValidationFailed
from toolkit.mixins.filters import equalities
from toolkit.mixins.integrity import translated
from toolkit.models.base import Base

M = TypeVar("M", bound=Base)
E = TypeVar("E", bound=Entity)
U = TypeVar("U", bound=Struct)

OrderBy = str | ColumnElement[Any] | Sequence[str | ColumnElement[Any]] | None


class CRUDMixin(Generic[M, E, U]):
    """get, list, count, create, update (version-checked) and delete. What a model's rows allow is its
    resource's to say (toolkit/resources) and the database's to enforce (its roles' grants)."""

    model: ClassVar[type[Base]]
    entity: ClassVar[type[Entity]]
    name: ClassVar[str]

    def __init__(self, session: AsyncSession, database: Database) -> None:
        self.session, self.database = session, database

    @classmethod
    def model_table(cls) -> Table:
        """The model's table (what the repository reads and writes), without an instance."""
        table = cls.model.__table__
        assert isinstance(table, Table)
        return table

    @property
    def table(self) -> Table:
        return self.model_table()

    @classmethod
    def column(cls, name: str) -> ColumnElement[Any]:
        """The model's column called `name`; anything else is refused, so names never come from input."""
        columns = cls.model_table().c
        if name not in columns:
            known = ", ".join(columns.keys())
            raise ValidationFailed(Issue(None, name, f"{cls.name} has no column {name!r} (known: {known})"))
        return columns[name]

    def _get_query(self, *args: ColumnElement[bool], **kwargs: Any) -> Select[Any]:
        """Rows matching SQL conditions (`args`) and equality filters (`kwargs`; a list means IN)."""
        return select(self.table).where(*args, *self.equals(kwargs))

    def equals(self, filters: Mapping[str, Any]) -> builtins.list[ColumnElement[bool]]:
        return equalities(self.column, filters)

    def ordering(self, order_by: OrderBy) -> builtins.list[ColumnElement[Any]]:
        """`"created_at"`, `"-created_at"` (descending), a column expression, or a list of these."""
        if order_by is None:
            return [self.table.c.id]
        items = [order_by] if isinstance(order_by, str | ColumnElement) else list(order_by)
        out: list[ColumnElement[Any]] = []
        for item in items:
            if isinstance(item, str):
                desc = item.startswith("-")
                col = self.column(item.lstrip("-"))
                out.append(col.desc() if desc else col.asc())
            else:
                out.append(item)
        return out

    def to_entity(self, row: Any) -> E:
        return self.entity(**row._mapping)  # type: ignore[return-value]

    async def get(self, id: int) -> E:
        row = (await self.session.execute(self._get_query(self.table.c.id == id))).first()
        if row is None:
            raise NotFound(self.name, id)
        return self.to_entity(row)

    async def get_for_update(self, id: int) -> E:
        """The row, locked until the end of the transaction, so a check-then-write cannot race."""
        query = select(self.table).where(self.table.c.id == id).with_for_update()
        row = (await self.session.execute(query)).first()
        if row is None:
            raise NotFound(self.name, id)
        return self.to_entity(row)

    async def list(
        self,
        *args: ColumnElement[bool],
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        **kwargs: Any,
    ) -> builtins.list[E]:
        query = self._get_query(*args, **kwargs).order_by(*self.ordering(order_by))
        query = query.limit(limit).offset(offset)
        return [self.to_entity(row) for row in await self.session.execute(query)]

    async def count(self, *args: ColumnElement[bool], **kwargs: Any) -> int:
        query = select(func.count()).select_from(self._get_query(*args, **kwargs).subquery())
        return int((await self.session.execute(query)).scalar_one())

    async def create(self, data: Struct | Mapping[str, Any]) -> E:
        values = changes_of(data) if isinstance(data, Struct) else dict(data)
        with translated(**values):
            row = (await self.session.execute(insert(self.table).values(values).returning(self.table))).one()
        return self.to_entity(row)

    async def create_many(self, rows: Iterable[Mapping[str, Any]]) -> builtins.list[E]:
        batch = list(rows)
        if not batch:
            return []
        with translated():
            result = await self.session.execute(insert(self.table).values(batch).returning(self.table))
        return [self.to_entity(row) for row in result]

    async def update(
        self,
        id: int,
        changes: U | Mapping[str, Any],
        version: int | None = None,
        *,
        version_column: str | None = None,
    ) -> tuple[E, E]:
        """Apply `changes`. With a `version_column`, the change moves it on by one, and a `version` other than
        the row's current one is refused (StaleVersion). Changes that leave every value as it was write
        nothing (the row comes back as it is, version and `updated_at` kept)."""
        values = changes_of(changes) if isinstance(changes, Struct) else dict(changes)
        before = await self.get_for_update(id)
        if version_column is not None:
            current = getattr(before, version_column)
            if version is not None and version != current:
                raise StaleVersion(self.name, id, version, current)
        if not any(isinstance(v, ClauseElement) or getattr(before, k) != v for k, v in values.items()):
            return before, before
        if version_column is not None:
            values[version_column] = self.table.c[version_column] + 1
        if "updated_at" in self.table.c:
            values["updated_at"] = func.now()
        query = update(self.table).where(self.table.c.id == id).values(values).returning(self.table)
        with translated(**values):
            row = (await self.session.execute(query)).one()
        return before, self.to_entity(row)

    async def delete(self, id: int) -> E:
        before = await self.get_for_update(id)
        await self.session.execute(self.table.delete().where(self.table.c.id == id))
        return before

    async def holders(
        self, names: Sequence[str], keys: Sequence[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], int]:
        """Which row holds each of these values of the unique columns `names`; absent ones are left out."""
        columns = [self.column(name) for name in names]
        if len(columns) == 1:
            # One text parameter however many values (a million emails): split by the server, cast to type.
            joined = bindparam("values", value="\n".join(str(k[0]) for k in keys), type_=Text)
            wanted = cast(func.string_to_array(joined, "\n"), ARRAY(columns[0].type))
            where = columns[0] == any_(wanted)
        else:  # one JSON parameter too: a parameter per value stops at 65535 of them (32767 pairs)
            given = msgspec.json.encode([dict(zip(names, k, strict=True)) for k in keys], enc_hook=str)
            rows = func.jsonb_to_recordset(cast(bindparam("keys", given.decode(), type_=Text), JSONB))
            typed = rows.table_valued(*(column(n, c.type) for n, c in zip(names, columns, strict=True)))
            where = tuple_(*columns).in_(select(*typed.render_derived("k", with_types=True).c))
        query = select(*columns, self.table.c.id).where(where)
        return {tuple(row[:-1]): row[-1] for row in await self.session.execute(query)}
