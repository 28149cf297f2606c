"""frame() and iter_frames() for any repository: the COPY fast path with faithful dtypes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import ColumnElement, Select

from toolkit.errors import Issue, ValidationFailed
from toolkit.frames import polars, read
from toolkit.mixins.crud import CRUDMixin, OrderBy


class FrameReads:
    """frame() and iter_frames() for any repository: COPY fast path, faithful dtypes."""

    def __init__(self, repository: CRUDMixin[Any, Any, Any]) -> None:
        self.repository = repository

    def query(
        self,
        *conditions: ColumnElement[bool],
        columns: list[str] | None = None,
        order_by: OrderBy = None,
        limit: int | None = None,
        **equals: Any,
    ) -> Select[Any]:
        repo = self.repository
        query = repo._get_query(*conditions, **equals).order_by(*repo.ordering(order_by)).limit(limit)
        if columns is not None:
            query = query.with_only_columns(*(repo.column(c) for c in columns))
        return query

    async def frame(
        self,
        *conditions: Any,
        as_arrow: bool = False,
        as_polars: bool = False,
        progress: Any = None,
        **options: Any,
    ) -> Any:
        repo = self.repository
        query = self.query(*conditions, **options)
        by_id = self._by_id_alone(options.get("order_by"), options.get("limit"))
        if as_arrow and as_polars:
            raise ValidationFailed(Issue(None, "as_polars", "pass as_arrow=True or as_polars=True, not both"))
        if as_arrow:
            return await read.read_arrow(repo.session, repo.table, query, progress, by_id=by_id)
        convert = converter(as_polars)
        return await read.read_frame(repo.session, repo.table, query, progress, by_id=by_id, convert=convert)

    def _by_id_alone(self, order_by: OrderBy, limit: int | None) -> bool:
        """Whether the read is ordered by id ascending and unlimited: then it may run as two COPYs at once."""
        key = self.repository.table.c.get("id")
        ordering = self.repository.ordering(order_by)
        if limit is not None or key is None or len(ordering) != 1:
            return False
        return bool(ordering[0].compare(key) or ordering[0].compare(key.asc()))

    async def iter_frames(
        self, *conditions: Any, chunk_rows: int = 100_000, as_polars: bool = False, **options: Any
    ) -> AsyncIterator[Any]:
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
            # Chunks of no rows would never end.
            raise ValidationFailed(
                Issue(None, "chunk_rows", f"must be a whole number of at least 1, not {chunk_rows!r}")
            )
        repo = self.repository
        query, convert = self.query(*conditions, **options), converter(as_polars)
        async for chunk in read.iter_frames(repo.session, repo.table, query, chunk_rows, convert):
            yield chunk


def converter(as_polars: bool) -> read.Convert:
    """pandas frames, or polars ones (checked here, before any row is read, that polars is installed)."""
    if not as_polars:
        return read.pandas_frame
    polars.require()
    return read.polars_frame


__all__ = ["FrameReads"]
