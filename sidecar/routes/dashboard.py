"""`/dashboard`: a live page for people, open to anyone: it holds no key and no data itself, only the page
(`sidecar/static/dashboard`), which reads the public API with a read key the person pastes into it."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import CacheControlHeader

from sidecar.assets import FOLDER
from sidecar.auth import OPEN

# Scripts and styles from this host only, and the API on this host only: nothing else can be loaded.
POLICY = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@get("/dashboard", opt=OPEN, include_in_schema=False, cache_control=CacheControlHeader(no_cache=True))
async def dashboard() -> Response[bytes]:
    """The page: signups per day, accounts by plan and status, balances over time, the latest postings."""
    return Response(
        (FOLDER / "dashboard" / "dashboard.html").read_bytes(),
        media_type="text/html",  # Litestar adds the charset
        headers={"Content-Security-Policy": POLICY, "Referrer-Policy": "no-referrer"},
    )


ROUTES = [dashboard]
