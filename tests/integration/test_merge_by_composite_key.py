"""diff(df, key=(...)) for a model like the README's notes: a key of two columns and no version column, so
matched rows are checked against the values diff() read, and re-checked by apply()."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest
from msgspec import UNSET, Struct, UnsetType
from sqlalchemy import BigInteger, Identity, Text, UniqueConstraint, create_engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tests.conftest import admin_rows, libpq
from toolkit import migrations
from toolkit.db import Database, UnitOfWork
from toolkit.entities import Entity
from toolkit.errors import Conflict
from toolkit.mixins.crud import CRUDMixin
from toolkit.resources import Resource
from toolkit.roles import WRITER
from toolkit.services.frame_writes import FrameWrites
from toolkit.settings import Settings
from toolkit.wiring import create_container


class Scratch(DeclarativeBase):
    """Kept apart from the toolkit's models, so no migration or diagram ever sees this table."""


class NoteModel(Scratch):
    __tablename__ = "merge_notes"
    __table_args__ = (UniqueConstraint("account_id", "title"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


class Note(Entity, kw_only=True):
    id: int
    account_id: int
    title: str
    body: str


class NoteCreate(Struct, kw_only=True):
    account_id: int
    title: str
    body: str


class NoteUpdate(Struct, kw_only=True, omit_defaults=True):
    body: str | UnsetType = UNSET


class NoteRepository(CRUDMixin[Any, Note, NoteUpdate]):
    model, entity, name = NoteModel, Note, "note"  # type: ignore[assignment]


class NoteService:
    pass


NOTES = Resource(
    "merge-notes",
    NoteRepository,
    NoteService,
    create=NoteCreate,
    update=NoteUpdate,
    removal="delete",
    natural_keys=(("account_id", "title"),),
)


@pytest.fixture(scope="module")
def notes_url(make_database: Any) -> Any:
    url = make_database("qa_notes")
    migrations.upgrade(url=url)
    Scratch.metadata.create_all(create_engine(url.set(drivername="postgresql+psycopg")))
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(f"GRANT SELECT, INSERT, UPDATE ON merge_notes TO {WRITER}")
        conn.execute(f"GRANT USAGE ON SEQUENCE merge_notes_id_seq TO {WRITER}")
    return url


@pytest.fixture
async def notes(notes_url: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """Run `fn(frame_writes)` in a scope of its own, as each notebook call does; notes 1-3 to start."""
    with psycopg.connect(libpq(notes_url), autocommit=True) as conn:
        conn.execute("TRUNCATE merge_notes RESTART IDENTITY")
        conn.execute("SET session_replication_role = replica")
        conn.execute("TRUNCATE audit_log")
        conn.execute(
            "INSERT INTO merge_notes (account_id, title, body) VALUES "
            "(1, 'Call back', 'Tuesday'), (1, 'Invoice', 'sent'), (2, 'Call back', 'Friday')"
        )
    container = create_container(Settings(database_url=notes_url, home=tmp_path))

    async def run(fn: Any) -> Any:
        async with container.enter_scope() as scope:
            session, database = await scope.get(AsyncSession), await scope.get(Database)
            repository = NoteRepository(session, database)
            return await fn(FrameWrites(NOTES, NoteService(), repository, await scope.get(UnitOfWork)))

    yield run
    await container.close()


def bodies(url: Any) -> list[tuple[Any, ...]]:
    return admin_rows(url, "select id, account_id, title, body from merge_notes order by id")


FRAME = pd.DataFrame(
    {
        "account_id": [1, 1, 2, 2],
        "title": ["Call back", "Invoice", "Call back", "Visit"],
        "body": ["Wednesday", "sent", "Friday", "in May"],
    }
)


async def test_rows_are_matched_by_both_key_columns_updated_and_inserted(notes, notes_url):
    plan = await notes(lambda w: w.diff(FRAME, key=("title", "account_id")))
    assert plan.updates[["id", "column", "old", "new"]].values.tolist() == [
        [1, "body", "Tuesday", "Wednesday"]
    ]
    assert len(plan.unchanged) == 2 and plan.inserts["title"].tolist() == ["Visit"]
    report = await notes(lambda w: w.apply(plan, actor="test:merge"))
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 2)
    assert bodies(notes_url) == [
        (1, 1, "Call back", "Wednesday"),
        (2, 1, "Invoice", "sent"),
        (3, 2, "Call back", "Friday"),
        (4, 2, "Visit", "in May"),
    ]
    audit = admin_rows(notes_url, "select action, entity, entity_id, changes from audit_log order by id")
    assert audit == [
        ("update", "note", 1, {"body": {"old": "Tuesday", "new": "Wednesday"}}),
        ("create", "note", 4, {"rows": 1, "columns": ["account_id", "title", "body"]}),
    ]


async def test_a_row_changed_after_diff_is_a_conflict_then_skipped_keeping_the_other_change(notes, notes_url):
    frame = FRAME.assign(body=["Wednesday", "paid", "Friday", "in May"])
    plan = await notes(lambda w: w.diff(frame, key=("account_id", "title")))
    with psycopg.connect(libpq(notes_url), autocommit=True) as conn:  # another writer, after diff()
        conn.execute("UPDATE merge_notes SET body = 'Thursday' WHERE id = 1")
    with pytest.raises(Conflict, match=r"1 note\(s\) changed since diff\(\) \(ids \[1\]\)"):
        await notes(lambda w: w.apply(plan, actor="test:merge"))
    assert [row[3] for row in bodies(notes_url)] == ["Thursday", "sent", "Friday"]
    report = await notes(lambda w: w.apply(plan, actor="test:merge", skip_conflicts=True))
    assert (report.inserted, report.updated, report.skipped_conflicts) == (1, 1, 1)
    assert [row[3] for row in bodies(notes_url)] == ["Thursday", "paid", "Friday", "in May"]


async def test_a_pair_that_repeats_in_the_frame_is_refused_naming_both_rows(notes):
    frame = pd.concat([FRAME, FRAME.iloc[[3]]], ignore_index=True)
    plan = await notes(lambda w: w.diff(frame, key=("account_id", "title")))
    assert plan.invalid[["row", "column"]].values.tolist() == [[3, "title"], [4, "title"]]
    assert "(account_id, title) appears in more than one row" in plan.invalid["reason"].iloc[0]
