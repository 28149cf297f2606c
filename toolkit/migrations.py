"""Alembic from Python: `upgrade()`, `downgrade()`, `current()`, `history()`, `check()`, `revision()`.

Every function takes an optional `url` (or `settings`); with neither, the configured database is used, and
with none configured, the embedded PostgreSQL.

    >>> from toolkit import migrations
    >>> migrations.upgrade()          # to head
    >>> migrations.check()            # [] when the database matches the models
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from toolkit.errors import Issue, UnknownRevision, ValidationFailed
from toolkit.settings import Settings, normalise_url

# Alembic keeps the running migration's context in module globals, so two threads of one process must take
# turns; two processes take turns on an advisory lock (migrations/env.py).
ONE_AT_A_TIME = threading.Lock()


def script_location() -> Path:
    """The repository's `migrations/` in a checkout; the copy packaged inside `toolkit` when installed."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "migrations", here / "_migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the Alembic migrations folder is missing from this installation")


def resolve(url: str | URL | None = None, settings: Settings | None = None) -> URL:
    if url is not None:
        return normalise_url(url)
    from toolkit.db import resolve_url

    return resolve_url(settings if settings is not None else Settings.load())


def config(url: str | URL | None = None, settings: Settings | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
    )
    # New revision files are made lint-clean, as alembic.ini has it for plain `alembic revision`.
    cfg.set_section_option("post_write_hooks", "hooks", "ruff")
    cfg.set_section_option("post_write_hooks", "ruff.type", "module")
    cfg.set_section_option("post_write_hooks", "ruff.module", "toolkit.revision_lint")
    cfg.attributes["url"] = resolve(url, settings)
    cfg.attributes["quiet_logging"] = True
    return cfg


@contextmanager
def connect(cfg: Config) -> Iterator[Connection]:
    engine = create_engine(cfg.attributes["url"], poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def upgrade(
    rev: str = "head", *, url: str | URL | None = None, settings: Settings | None = None
) -> list[str]:
    """Upgrade the database to `rev` (default: head); returns the revisions now current.

    Raises `UnknownRevision` when the database is at a revision this code does not have.
    """
    cfg = config(url, settings)
    known_heads(cfg)
    with ONE_AT_A_TIME, target(rev):
        command.upgrade(cfg, rev)
    return current(url=cfg.attributes["url"])


def downgrade(rev: str, *, url: str | URL | None = None, settings: Settings | None = None) -> list[str]:
    """Downgrade to `rev` (`"base"` empties the schema, `"-1"` steps back once); returns what is current.

    Raises `UnknownRevision` when the database is at a revision this code does not have.
    """
    cfg = config(url, settings)
    known_heads(cfg)
    with ONE_AT_A_TIME, target(rev):
        command.downgrade(cfg, rev)
    return current(url=cfg.attributes["url"])


@contextmanager
def target(rev: str) -> Iterator[None]:
    """A target Alembic cannot resolve (an unknown id, a step past either end, a range) as a
    ValidationFailed naming it; Alembic resolves it before any migration runs, so nothing has changed."""
    try:
        yield
    except CommandError as error:
        known = ", ".join(r.revision for r in history())
        reason = f"{error} (revisions: {known}; or head, base, +N, -N)"
        raise ValidationFailed(Issue(None, "revision", reason)) from None


def current(*, url: str | URL | None = None, settings: Settings | None = None) -> list[str]:
    """The revision(s) the database is at; `[]` for an empty (never migrated) database.

    Raises `UnknownRevision` when the database is at a revision this code has no migration file for: a newer
    checkout migrated it (`.revisions` holds the ids).
    """
    return known_heads(config(url, settings))


def known_heads(cfg: Config) -> list[str]:
    with connect(cfg) as conn:
        at = list(MigrationContext.configure(conn).get_current_heads())
    missing = unknown(at)
    if missing:
        raise UnknownRevision(missing)
    return at


def unknown(revisions: list[str]) -> list[str]:
    """Those of `revisions` that have no file in this code's migrations folder."""
    known = {r.revision for r in history()}
    return [rev for rev in revisions if rev not in known]


def heads() -> list[str]:
    """The newest revision(s) in the migrations folder."""
    return list(ScriptDirectory(str(script_location())).get_heads())


async def at_head(engine: AsyncEngine) -> bool:
    """True when the database behind `engine` is reachable and migrated to head (for readiness checks)."""
    return set(await current_on(engine)) == set(cached_heads())


async def current_on(engine: AsyncEngine) -> list[str]:
    """The revision(s) the database behind `engine` is at, read through one of its pooled connections (no
    engine of its own to create and connect, as `current()` has)."""
    async with engine.connect() as conn:
        return list(await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads()))


async def pending_on(engine: AsyncEngine) -> list[str]:
    """`pending()` for the database behind `engine`, read through one of its pooled connections."""
    return pending_after(await current_on(engine))


@functools.cache
def cached_heads() -> tuple[str, ...]:
    return tuple(heads())


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: str | None
    message: str
    path: str

    def __str__(self) -> str:
        return f"{self.down_revision or '<base>'} -> {self.revision}: {self.message}"


def history() -> list[Revision]:
    """Every revision, oldest first."""
    scripts = ScriptDirectory(str(script_location()))
    revisions = list(scripts.walk_revisions())[::-1]
    return [
        Revision(
            r.revision, r.down_revision if isinstance(r.down_revision, str) else None, r.doc or "", r.path
        )
        for r in revisions
    ]


def check(*, url: str | URL | None = None, settings: Settings | None = None) -> list[Any]:
    """Drift between the models and the database: `[]` means none. Each item is one Alembic diff."""
    from toolkit.resources import metadata

    cfg = config(url, settings)
    with connect(cfg) as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        return list(compare_metadata(context, metadata()))


def pending(*, url: str | URL | None = None, settings: Settings | None = None) -> list[str]:
    """Revisions between the database's current one and head, in the order they would run.

    Raises `UnknownRevision` when the database is at a revision this code does not have: then nothing here
    is pending, the code is older than the database.
    """
    return pending_after(current(url=url, settings=settings))


def pending_after(revisions: list[str]) -> list[str]:
    """The revisions between `revisions` (the database's current ones) and head, in the order they would run;
    `UnknownRevision` when one of them has no file here."""
    missing = unknown(revisions)
    if missing:
        raise UnknownRevision(missing)
    at = set(revisions)
    out: list[str] = []
    for rev in reversed(history()):
        if rev.revision in at:
            break
        out.append(rev.revision)
    return out[::-1]


def revision(
    message: str, *, autogenerate: bool = True, url: str | URL | None = None, settings: Settings | None = None
) -> Path:
    """Write a new revision file (autogenerated from the models by default); returns its path.

    The file is made lint-clean by ruff (`toolkit.revision_lint`); without ruff it is written as generated.
    """
    cfg = config(url, settings)
    if autogenerate:
        known_heads(cfg)
    with ONE_AT_A_TIME:
        script = command.revision(cfg, message=message, autogenerate=autogenerate)
    scripts = script if isinstance(script, list) else [script]
    if not scripts or scripts[0] is None:
        raise RuntimeError("Alembic wrote no revision")
    return Path(scripts[0].path)
