"""The floor: a bare ASGI handler (no framework) doing one psycopg query from a pool, answering JSON.

`GET /accounts/{id}` answers the row `GET /v1/accounts/{id}` answers; `GET /accounts?plan=P&limit=N` the
first N accounts of plan P by id (`&offset=K`: after the first K). Served by
`python -m benchmarks.http.reference --port N` with the sidecar's uvicorn options.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import parse_qs

import msgspec
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

COLUMNS = "id, email, full_name, status, plan, country, currency, balance, created_at, updated_at, version"
ONE = f"select {COLUMNS} from accounts where id = %s"
PAGE = f"select {COLUMNS} from accounts where plan = %s order by id limit %s"
PAGE_AT = PAGE + " offset %s"
JSON = [(b"content-type", b"application/json")]


def conninfo() -> str:
    from toolkit.db import resolve_url
    from toolkit.settings import Settings

    url = resolve_url(Settings.load(env_file=None))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def create_app() -> Any:
    """The reference ASGI app (a uvicorn factory); its pool opens at lifespan startup."""
    from toolkit.settings import Settings

    size = Settings.load(env_file=None).pool_size
    pool = AsyncConnectionPool(
        conninfo(), min_size=size, max_size=2 * size, kwargs={"autocommit": True}, open=False
    )

    async def lifespan(receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await pool.open(wait=True)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def query(sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        async with pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(sql, params)
            return await cursor.fetchall()

    async def answer(send: Any, status: int, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": JSON})
        await send({"type": "http.response.body", "body": body})

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/accounts/") and path[10:].isdigit():
            rows = await query(ONE, (int(path[10:]),))
            await answer(send, 200 if rows else 404, msgspec.json.encode(rows[0] if rows else {}))
        elif path == "/accounts":
            params = parse_qs(scope["query_string"].decode())
            page: tuple[Any, ...] = (params.get("plan", ["free"])[0], int(params.get("limit", ["100"])[0]))
            if "offset" in params:
                rows = await query(PAGE_AT, (*page, int(params["offset"][0])))
            else:
                rows = await query(PAGE, page)
            await answer(send, 200, msgspec.json.encode(rows))
        elif path == "/health":
            await answer(send, 200, b'{"status":"ready"}')
        else:
            await answer(send, 404, b"{}")

    return app


def main() -> None:
    import uvicorn

    from sidecar.serving import uvicorn_options

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "benchmarks.http.reference:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        **uvicorn_options(),
    )


if __name__ == "__main__":
    main()
