"""The benchmark's database: embedded (in a temporary folder) or QUEACCOUNT_BENCH_DATABASE_URL, migrated,
with the sample data and a fresh read key; the seeded ids (in a file, for wrk's random.lua) and plans."""

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
    ids_file: Path  # every account id, one a line
    plans: tuple[str, ...]  # every plan in use
    max_offset: int  # the largest offset at which every plan still fills a page of `limit` rows


LIMIT = 100  # the rows of the list request


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
    secret, account_id, version, ids, plans, smallest = asyncio.run(_fill(settings))
    ids_file = home / "ids.txt"
    ids_file.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return Fixture(url, secret, account_id, "pro", version, ids_file, plans, max(0, smallest - LIMIT))


async def _fill(settings: Settings) -> tuple[str, int, str, list[int], tuple[str, ...], int]:
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
            ids = (await session.execute(text("select id from accounts order by id"))).scalars().all()
            per_plan = (
                await session.execute(text("select plan::text, count(*) from accounts group by 1 order by 1"))
            ).all()
            plans = tuple(str(plan) for plan, _ in per_plan)
            smallest = min(int(n) for _, n in per_plan)
            return secret, int(middle), str(version).split()[0], list(ids), plans, smallest
    finally:
        await container.close()
