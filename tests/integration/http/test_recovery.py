"""Database down, then back: 503 with Retry-After meanwhile, and service again without a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

from litestar.testing import AsyncTestClient

from sidecar import create_app
from tests.integration.http.conftest import make_key
from toolkit.cluster import free_port
from toolkit.db import endpoints


class Proxy:
    """A TCP door in front of the test database that the test can close and open again (own loop, own
    thread, so it never waits on the app's loop)."""

    def __init__(self, database_url) -> None:
        host = database_url.query.get("host")
        port = database_url.port or 5432
        self.target = (host, port)
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.Task] = set()
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def open(self) -> None:
        asyncio.run_coroutine_threadsafe(self._open(), self.loop).result(5)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(5)

    def stop(self) -> None:
        self.close()
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def connect_upstream(self):
        host, port = self.target
        if host and host.startswith("/"):
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host or "127.0.0.1", port)

    async def handle(self, reader, writer) -> None:
        up_reader, up_writer = await self.connect_upstream()

        async def pipe(source, sink) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except Exception:
                pass
            finally:
                sink.close()

        tasks = [asyncio.create_task(pipe(reader, up_writer)), asyncio.create_task(pipe(up_reader, writer))]
        self.links.update(tasks)
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _open(self) -> None:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", self.port)

    async def _close(self) -> None:
        """Stop accepting and cut every open connection, as a database restart would."""
        assert self.server is not None
        self.server.close()
        for task in self.links:
            task.cancel()
        await asyncio.gather(*self.links, return_exceptions=True)
        self.links.clear()


async def test_the_sidecar_answers_503_while_the_database_is_down_and_recovers_by_itself(
    settings, database_url, container
):
    proxy = Proxy(database_url)
    proxy.open()
    through_proxy = database_url.set(host="127.0.0.1", port=proxy.port, query={})
    headers = {"Authorization": f"Bearer {await make_key(container, 'ops', 'read')}"}
    async with AsyncTestClient(app=create_app(settings.with_url(through_proxy))) as client:
        assert (await client.get("/v1/accounts", headers=headers)).status_code == 200
        proxy.close()
        down = await client.get("/v1/accounts", headers=headers)
        assert down.status_code == 503 and down.headers["retry-after"]
        proxy.open()
        statuses = [(await client.get("/v1/accounts", headers=headers)).status_code for _ in range(3)]
        assert statuses[-1] == 200
    proxy.stop()


async def test_a_read_pool_that_cannot_connect_is_a_503_that_names_no_server_role_or_driver_text(
    settings, database_url, container
):
    """The read pool alone is out of reach (its database is gone), while keys are still looked up: the
    answer says the database is unavailable, and the server's log says which one and why."""
    gone = endpoints(settings).read.set(database="qa_no_such_database")
    headers = {"Authorization": f"Bearer {await make_key(container, 'ops', 'read')}"}
    app = create_app(dataclasses.replace(settings, read_database_url=(gone,)))
    async with AsyncTestClient(app=app) as client:
        for _ in range(2):  # the second request finds its key in the cache (the row shortcut's path)
            down = await client.get("/v1/accounts/1", headers=headers)
            assert down.status_code == 503 and down.headers["retry-after"], down.text
            said = down.json()["message"]
            assert "queaccount_reader" not in said and "qa_no_such_database" not in said, said
            assert "unavailable" in said
