"""`qa.migrations`: the toolkit's Alembic API bound to this connection's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit import migrations
from toolkit.notebook.display import Listing

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from toolkit.notebook.facade import Toolkit


def revisions(ids: list[str], empty: str) -> Listing[str]:
    """Revision ids, shown with their messages and which one is head."""
    known = {r.revision: r.message for r in migrations.history()}
    heads = set(migrations.heads())
    columns: dict[str, Callable[[str], Any]] = {
        "revision": str,
        "message": lambda r: known.get(r, "(not in this code)"),
        "head": lambda r: "yes" if r in heads else "",
    }
    return Listing(ids, columns, empty)


def differences(drift: list[Any]) -> Listing[Any]:
    """Alembic's diffs between the models and the database, one a row."""
    columns = {"change": lambda d: d[0][0] if isinstance(d, list) else d[0], "detail": lambda d: str(d)}
    return Listing(drift, columns, "no drift: the database matches the models")


class Migrations:
    """Alembic from the notebook: `upgrade()`, `downgrade(rev)`, `current()`, `history()`, `check()` and
    `status()`, each shown as a small table (the lists stay lists)."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit

    @property
    def url(self) -> URL:
        """The schema owner's URL: migrations are the one path that changes the schema."""
        from toolkit.db import resolve_url

        return resolve_url(self.kit.aio.settings)

    @contextmanager
    def mapped(self) -> Iterator[None]:
        """Database failures as toolkit errors (URL masked), as every other notebook call gives them."""
        from toolkit.db_errors import DRIVER_ERRORS, toolkit_error
        from toolkit.settings import mask_url

        try:
            yield
        except DRIVER_ERRORS as error:
            raise toolkit_error(error, mask_url(self.url)) from None

    def upgrade(self, rev: str = "head") -> Listing[str]:
        """Upgrade to `rev` (default head); the revision(s) now current."""
        with self.mapped():
            return revisions(migrations.upgrade(rev, url=self.url), "the database is empty (base)")

    def downgrade(self, rev: str) -> Listing[str]:
        """Downgrade to `rev` (`"-1"` steps back once, `"base"` drops everything); what is now current."""
        with self.mapped():
            return revisions(migrations.downgrade(rev, url=self.url), "the database is empty (base)")

    def current(self) -> Listing[str]:
        """The revision(s) the database is at; `UnknownRevision` when this code is older than the database."""
        with self.mapped():
            return revisions(migrations.current(url=self.url), "no revision: the database was never migrated")

    def history(self) -> Listing[migrations.Revision]:
        """Every revision, oldest first."""
        columns = {"revision": lambda r: r.revision, "after": lambda r: r.down_revision or "(base)"}
        return Listing(migrations.history(), {**columns, "message": lambda r: r.message}, "no revisions")

    def check(self) -> Listing[Any]:
        """Differences between the models and the database; empty means no drift."""
        with self.mapped():
            return differences(migrations.check(url=self.url))

    def status(self) -> pd.DataFrame:
        """One row per revision: applied or pending, which is current and which is head.

        Raises `UnknownRevision` when the database is at a revision this code does not have.
        """
        at = set(self.current())
        heads = set(migrations.heads())
        with self.mapped():
            pending = set(migrations.pending(url=self.url))
        rows = [
            {
                "revision": r.revision,
                "message": r.message,
                "applied": r.revision not in pending,
                "current": r.revision in at,
                "head": r.revision in heads,
            }
            for r in migrations.history()
        ]
        return pd.DataFrame(rows, columns=["revision", "message", "applied", "current", "head"])
