"""Running the sidecar under uvicorn, and preparing the demo database."""

from __future__ import annotations

import asyncio
import copy
import errno
import os
import signal
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from toolkit.errors import QueAccountError
from toolkit.settings import PREFIX, Settings, joined_urls

if TYPE_CHECKING:
    from sidecar.routes.health import Draining

if TYPE_CHECKING:
    from toolkit.entities import ApiKey

DEMO_KEY = "demo"
DEMO_KEY_LIFETIME = "12h"  # the demo revokes its key when it stops; this is for a demo killed outright


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the sidecar's access log (uvicorn's own access log shows query strings)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["sidecar"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def uvicorn_options() -> dict[str, Any]:
    """How uvicorn serves the sidecar (the HTTP benchmarks serve their reference app the same way)."""
    return {"access_log": False, "log_config": log_config(), "proxy_headers": False}


def check_port_free(host: str, port: int) -> None:
    """Refuse at once, before any database work, when the server could not listen on host:port."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            reason = "the port is in use: is the sidecar already running? Pass --port to use another port"
        else:
            # create_server appends "(while attempting to bind on address ...)": the address is said already.
            reason = str(error.strerror or error).split(" (while attempting")[0]
        raise QueAccountError(f"cannot listen on {host}:{port}: {reason}") from None


def announce_when_listening(host: str, port: int, text: str, seconds: float = 120) -> threading.Thread:
    """Print `text` once the server accepts connections on host:port, so a line pasted from it works."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host

    def wait() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((target, port), timeout=1):
                    print(text, flush=True)
                    return
            except OSError:
                time.sleep(0.05)

    thread = threading.Thread(target=wait, name="announce", daemon=True)
    thread.start()
    return thread


def drain_on_sigterm(draining: Draining, seconds: float) -> None:
    """From now on, SIGTERM first turns readiness to 503 and keeps serving for `seconds` (so a load balancer
    stops sending requests here), then shuts down as before: requests in flight finish, the pool closes.
    Called at startup, in the process that serves (each worker), after uvicorn has installed its handler."""
    previous = signal.getsignal(signal.SIGTERM)
    if seconds <= 0 or not callable(previous) or threading.current_thread() is not threading.main_thread():
        return

    def drain(signum: int, frame: Any) -> None:
        if draining.since is not None:
            return
        draining.start()
        timer = threading.Timer(seconds, previous, (signum, frame))
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, drain)


def run(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve `sidecar.app:create_app` until interrupted. Workers read settings from the environment, so the
    resolved database URL is passed on there (the embedded server, when used, is started once, here)."""
    import uvicorn

    from toolkit.db import endpoints
    from toolkit.roles import refuse_privileged

    # Workers connect as the writing and reading roles only; the owner's URL is not theirs to have.
    where = endpoints(settings)
    for url in (where.write, where.read, *where.standbys):
        refuse_privileged(url)
    os.environ[PREFIX + "WRITE_DATABASE_URL"] = where.write.render_as_string(hide_password=False)
    os.environ[PREFIX + "READ_DATABASE_URL"] = joined_urls((where.read, *where.standbys))
    os.environ.pop(PREFIX + "DATABASE_URL", None)
    # uvicorn re-raises SIGTERM after its graceful shutdown; with Python's default handler that would end the
    # process without running exit hooks, leaving an embedded PostgreSQL running. Exit normally instead.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    uvicorn.run(
        "sidecar.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **uvicorn_options(),
    )


def prepare_demo(settings: Settings) -> tuple[ApiKey, str]:
    """Migrate, load the sample when the database is empty, and (re)create the demo read key (expiring after
    DEMO_KEY_LIFETIME); the key and its secret."""
    from toolkit import migrations, roles
    from toolkit.db import resolve_url
    from toolkit.wiring import create_container

    settings = settings.with_url(resolve_url(settings))
    migrations.upgrade(settings=settings)
    roles.setup(resolve_url(settings))

    async def prepare() -> tuple[ApiKey, str]:
        from toolkit.services import ApiKeyService, SampleDataService

        container = create_container(settings)
        try:
            async with container.enter_scope() as scope:
                loaded = await (await scope.get(SampleDataService)).load_if_empty(actor="demo")
                if loaded is not None:
                    print(
                        f"loaded sample data: {loaded.accounts} accounts, {loaded.transactions} transactions"
                    )
                keys = await scope.get(ApiKeyService)
                if await keys.keys.find_active(name=DEMO_KEY) is not None:
                    await keys.revoke(DEMO_KEY, actor="demo")
                return await keys.create(DEMO_KEY, "read", actor="demo", expires=DEMO_KEY_LIFETIME)
        finally:
            await container.close()

    return asyncio.run(prepare())
