"""The benchmark's database: embedded (in a temporary folder) or QUEACCOUNT_BENCH_DATABASE_URL, migrated,
with the sample data and a fresh read key."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from toolkit.settings import Settings, normalise_url

KEY_NAME = "http-bench"


@dataclass(frozen=True)
class Fixture:
    url: URL
    secret: str
    account_id: int
    plan: str
    server_version: str


def database_url(home: Path) -> URL:
    configured = os.environ.get("QUEACCOUNT_BENCH_DATABASE_URL")
    if configured:
        return normalise_url(configured)
    from toolkit import embedded

    return embedded.start(home, database="bench")


def prepare(home: Path) -> Fixture:
    """Migrate, load the sample when empty, and make a new read key (revoking the previous run's)."""
    from toolkit import migrations

    url = database_url(home)
    migrations.upgrade(url=url)
    settings = Settings(database_url=url, home=home)
    secret, account_id, version = asyncio.run(_fill(settings))
    return Fixture(url, secret, account_id, "pro", version)


async def _fill(settings: Settings) -> tuple[str, int, str]:
    from sqlalchemy import text

    from toolkit.db import UnitOfWork
    from toolkit.services import ApiKeyService, SampleDataService
    from toolkit.wiring import create_container

    container = create_container(settings)
    try:
        async with container.enter_scope() as scope:
            await (await scope.get(SampleDataService)).load_if_empty(actor="bench")
            keys = await scope.get(ApiKeyService)
            if await keys.keys.find_active(name=KEY_NAME) is not None:
                await keys.revoke(KEY_NAME, actor="bench")
            _, secret = await keys.create(KEY_NAME, "read", actor="bench")
            session = (await scope.get(UnitOfWork)).session
            middle = (
                await session.execute(
                    text("select percentile_disc(0.5) within group (order by id) from accounts")
                )
            ).scalar_one()
            version = (await session.execute(text("show server_version"))).scalar_one()
            return secret, int(middle), str(version).split()[0]
    finally:
        await container.close()
