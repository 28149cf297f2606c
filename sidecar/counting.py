"""`Prefer: count=exact|planned|estimated`: the total of Content-Range, as PostgREST gives it.

exact counts every row; planned is the planner's estimate (EXPLAIN, no rows read), cheap on a big table and
as good as its statistics; estimated counts exactly up to QUEACCOUNT_MAX_PAGE_SIZE rows and gives the
planner's figure beyond (never less than that many).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from litestar import Request
from sqlalchemy import Select, bindparam, func, select

from toolkit.reads import Reads

KINDS = ("exact", "planned", "estimated")


def asked(request: Request[Any, Any, Any]) -> str | None:
    """The count the Prefer header asks for, if any."""
    for preference in request.headers.get("prefer", "").split(","):
        name, _, kind = preference.strip().partition("=")
        if name == "count" and kind in KINDS:
            return kind
    return None


async def total(
    kind: str | None,
    reads: Reads,
    key: Hashable,
    rows: Callable[[], Select[Any]],
    params: Mapping[str, Any],
    threshold: int,
) -> int | None:
    """The total `kind` asks for, of the unpaged read `rows()` (None when not asked)."""
    if kind is None:
        return None
    if kind == "exact":
        return int(await reads.value((key, "count"), lambda: counting(rows()), params))
    if kind == "estimated":
        capped = {**params, "pg_cap": threshold + 1}
        exact = await reads.value(
            (key, "capped"), lambda: counting(rows().limit(bindparam("pg_cap"))), capped
        )
        if exact <= threshold:
            return int(exact)
        return max(threshold + 1, await reads.planned_rows((key, "plan"), rows, params))
    return await reads.planned_rows((key, "plan"), rows, params)


def counting(rows: Select[Any]) -> Select[Any]:
    return select(func.count()).select_from(rows.subquery())
