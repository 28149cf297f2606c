"""to_dask() for any repository: the rows of frame()'s query as a Dask DataFrame of id ranges."""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
from psycopg.conninfo import make_conninfo

from toolkit.db import libpq_url
from toolkit.errors import Issue, ValidationFailed
from toolkit.services.frame_reads import FrameReads


class DaskReads:
    """Partitions read by the reader role on one exported snapshot (see toolkit/frames/dask.py)."""

    def __init__(self, reads: FrameReads) -> None:
        self.reads = reads

    async def to_dask(
        self, *conditions: Any, npartitions: int = 8, columns: list[str] | None = None, **equals: Any
    ) -> Any:
        try:
            from toolkit.frames import dask as frames  # the optional 'dask' extra, imported when used
        except ModuleNotFoundError as missing:
            needed = f"to_dask() needs the 'dask' extra: pip install 'queaccount[dask]' ({missing})"
            raise ModuleNotFoundError(needed) from missing
        from toolkit.frames.read import compile_query

        repo = self.reads.repository
        if "id" not in repo.table.c:
            raise ValidationFailed(Issue(None, "id", f"{repo.name} has no id column to partition by"))
        if npartitions < 1:
            raise ValidationFailed(Issue(None, "npartitions", f"must be at least 1, not {npartitions}"))
        wanted = None if columns is None else ["id", *(c for c in columns if c != "id")]
        query = self.reads.query(*conditions, columns=wanted, **equals)
        database = repo.database
        conninfo = make_conninfo(libpq_url(database.read_url), connect_timeout=database.connect_timeout)
        build = partial(frames.open_frame, conninfo, repo.table, query, partial(compile_query, repo.session))
        return await anyio.to_thread.run_sync(build, npartitions, repo.table.name)


__all__ = ["DaskReads"]
