"""The single-statement read outside a transaction: the same entity as the session's read, and the pooled
connection it borrowed goes back ready for transactions."""

from __future__ import annotations

import pytest

from tests.integration.conftest import ACTOR
from toolkit.db import Database
from toolkit.errors import NotFound
from toolkit.repositories import AccountRepository
from toolkit.services import AccountService


async def test_a_committed_read_gives_the_same_typed_entity_as_a_read_in_the_session(container, new_account):
    created = await new_account(plan="pro")
    async with container.enter_scope() as scope:
        accounts = await scope.get(AccountRepository)
        committed = await accounts.get_committed(created.id)
        assert committed == await accounts.get(created.id)
    assert committed.plan is created.plan and committed.status is created.status
    async with container.enter_scope() as scope:
        with pytest.raises(NotFound, match="999999"):
            await (await scope.get(AccountRepository)).get_committed(999999)


async def test_connections_go_back_to_the_pool_in_transaction_mode(container, new_account, run):
    created = await new_account()
    for _ in range(3):
        async with container.enter_scope() as scope:
            await (await scope.get(AccountRepository)).get_committed(created.id)
    database = await container.get(Database)
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert raw.driver_connection is not None and not raw.driver_connection.autocommit

    async def abandoned_change() -> None:
        async with container.enter_scope() as scope:
            service = await scope.get(AccountService)
            async with service.uow.atomic():
                await service.accounts.update(created.id, {"full_name": "Never Saved"})
                raise RuntimeError("abandon the change")

    with pytest.raises(RuntimeError):
        await abandoned_change()
    assert (await run(AccountService, lambda s: s.get(created.id))).full_name == created.full_name
    changed = await run(AccountService, lambda s: s.update(created.id, {"plan": "pro"}, actor=ACTOR))
    assert changed.version == 2
