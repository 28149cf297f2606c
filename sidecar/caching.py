"""ETags for answers read from the database, and the 304 that spares a poll the query.

An answer's ETag is a hash of what was asked (path, query string, the headers that shape the body, the rows
the key may not see) and of the database snapshot it was read in, `pg_current_snapshot()`: xmin, xmax and
the transactions in progress. A committed (or aborted) transaction that held a transaction id changes it: its
id was either in progress (so it leaves the list) or at least xmax (so xmax grows), and neither comes back.
Read-only transactions take no id and change nothing. So an unchanged snapshot means nothing was committed
since, and the answer would be the same: `If-None-Match` naming the tag it would have now is answered 304
after one `select pg_current_snapshot()`. A tag made from a snapshot taken before the read (or before the
statements after the first) is never stale, only invalidated sooner. Unrelated writes invalidate it too.

For a route whose read is not `sidecar.reads.read` (metrics)::

    tag = await caching.current_tag(request, reads)
    if (unchanged := caching.not_modified(request, tag, settings)) is not None:
        return unchanged
    ...  # the query, then the response with headers=caching.headers(tag, settings)
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import Any

from litestar import Request
from litestar.response.base import ASGIResponse

from sidecar.responses import Answer
from toolkit.reads import Reads
from toolkit.settings import Settings

SHAPING_HEADERS = ("accept", "prefer", "range")


def tag_for(request: Request[Any, Any, Any], snapshot: str, extra: Hashable = ()) -> str:
    """The weak ETag of this request's answer as read in `snapshot` (weak: the same under any encoding)."""
    shaping = tuple(request.headers.get(name, "") for name in SHAPING_HEADERS)
    return tag_of(request.scope["path"], request.scope["query_string"], shaping, snapshot, extra)


def tag_of(path: str, query: bytes, shaping: tuple[str, ...], snapshot: str, extra: Hashable = ()) -> str:
    """`tag_for` from the request's path, query string and SHAPING_HEADERS' values ("" when not sent)."""
    asked = (path, query, *shaping, extra, snapshot)
    return f'W/"{hashlib.blake2b(repr(asked).encode(), digest_size=12).hexdigest()}"'


async def current_tag(request: Request[Any, Any, Any], reads: Reads, extra: Hashable = ()) -> str:
    """The tag the answer has now: call it before the query it tags."""
    return tag_for(request, await reads.snapshot(), extra)


def matches(if_none_match: str, tag: str) -> bool:
    """Whether an `If-None-Match` value names `tag` (weak comparison, as RFC 9110 asks for it)."""
    bare = tag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") in (bare, "*") for t in if_none_match.split(","))


def headers(tag: str, settings: Settings) -> dict[str, str]:
    """ETag and Cache-Control for an answer that carries `tag`."""
    return {"ETag": tag, "Cache-Control": f"private, max-age={settings.cache_max_age_s}"}


def not_modified(request: Request[Any, Any, Any], tag: str, settings: Settings) -> ASGIResponse | None:
    """The 304 to send when the request's `If-None-Match` names `tag`, else None."""
    asked = request.headers.get("if-none-match")
    if asked is None or not matches(asked, tag):
        return None
    return Answer(status=304, headers=headers(tag, settings))
