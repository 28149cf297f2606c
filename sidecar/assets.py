"""The files in `sidecar/static` (the docs' UIs, the dashboard's script and style), served at `/static` to
anyone, no key needed: pages work on a machine with no network."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from sidecar.auth import OPEN

FOLDER = Path(__file__).parent / "static"
PATH = "/static"


def url(name: str) -> str:
    """The address of a shipped file, e.g. `url("redoc/redoc.standalone.js")`."""
    if not (FOLDER / name).is_file():
        raise FileNotFoundError(f"sidecar/static/{name} is not shipped")
    return f"{PATH}/{name}"


def static_files() -> Router:
    return create_static_files_router(
        path=PATH,
        directories=[FOLDER],
        opt=OPEN,
        cache_control=CacheControlHeader(max_age=3600),
        include_in_schema=False,
    )
