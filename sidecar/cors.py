"""Cross-origin requests from browser dashboards: only the origins `QUEACCOUNT_CORS_ORIGINS` lists (none by
default; `*` allows any). Keys travel in the Authorization header, never in cookies, so no credentials mode.

Litestar's CORS layer answers preflights (before the API-key check: a preflight carries no key) and adds the
headers to everything Litestar answers, errors included; `with_cors` adds the same headers to the answers the
row shortcut gives before Litestar sees the request.
"""

from __future__ import annotations

from litestar.config.cors import CORSConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Send

REQUEST_HEADERS = ["Authorization", "Content-Type", "Prefer", "Range", "If-None-Match", "If-Match"]
EXPOSED_HEADERS = ["Content-Range", "Link", "ETag", "X-Limit-Capped", "Location"]
METHODS = ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"]


def cors_config(origins: tuple[str, ...]) -> CORSConfig | None:
    """Litestar's CORS settings for these origins, or None (no CORS at all) when there are none."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=list(METHODS),  # type: ignore[arg-type]
        allow_headers=list(REQUEST_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        allow_credentials=False,
    )


def with_cors(send: Send, config: CORSConfig | None, origin: str | None) -> Send:
    """`send`, adding the CORS headers Litestar would add to an answer for a request from `origin`."""
    if config is None or not origin:
        return send

    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])
            headers = MutableScopeHeaders.from_message(message=message)
            headers.update(config.simple_headers)
            if not config.is_allow_all_origins and config.is_origin_allowed(origin):
                headers["Access-Control-Allow-Origin"] = origin
                headers["Vary"] = "Origin"
        await send(message)

    return send_with_cors
