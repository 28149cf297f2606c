"""`qa.migrations`: the toolkit's Alembic API bound to this connection's database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit import migrations

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from toolkit.notebook.facade import Toolkit


class Migrations:
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

    def upgrade(self, rev: str = "head") -> list[str]:
        """Upgrade to `rev` (default head)."""
        with self.mapped():
            return migrations.upgrade(rev, url=self.url)

    def downgrade(self, rev: str) -> list[str]:
        """Downgrade to `rev` (`"-1"` steps back once, `"base"` drops everything)."""
        with self.mapped():
            return migrations.downgrade(rev, url=self.url)

    def current(self) -> list[str]:
        """The revision(s) the database is at; `UnknownRevision` when this code is older than the database."""
        with self.mapped():
            return migrations.current(url=self.url)

    def history(self) -> list[migrations.Revision]:
        return migrations.history()

    def check(self) -> list[Any]:
        """Differences between the models and the database; `[]` means no drift."""
        with self.mapped():
            return migrations.check(url=self.url)

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
