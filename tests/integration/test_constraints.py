"""The database holds the rules too: writes that skip the service's checks still become toolkit errors."""

from __future__ import annotations

import pytest

from toolkit.errors import DuplicateEmail, NotFound, NotPermitted, ValidationFailed
from toolkit.repositories import AccountRepository, TransactionRepository

GOOD = {"email": "a@example.com", "full_name": "A", "country": "DE"}


async def write(container, repository, call):
    async with container.enter_scope() as scope:
        repo = await scope.get(repository)
        result = await call(repo)
        await repo.session.commit()
        return result


@pytest.mark.parametrize(
    ("values", "error", "field"),
    [
        ({"email": "Upper@Example.com"}, ValidationFailed, "email"),
        ({"email": "no-at-sign"}, ValidationFailed, "email"),
        ({"full_name": " "}, ValidationFailed, "full_name"),
        ({"country": "de"}, ValidationFailed, "country"),
        ({"currency": "eur"}, ValidationFailed, "currency"),
        ({"currency": "EURO"}, ValidationFailed, None),
        ({"balance": 5}, NotPermitted, None),
    ],
)
async def test_account_constraints_become_toolkit_errors(container, database_url, values, error, field):
    with pytest.raises(error) as caught:
        await write(container, AccountRepository, lambda r: r.create(GOOD | values))
    if field:
        assert caught.value.issues[0].field == field
    assert await write(container, AccountRepository, lambda r: r.count()) == 0


async def test_unique_email_constraint_becomes_duplicate_email(container, database_url):
    await write(container, AccountRepository, lambda r: r.create(GOOD))
    with pytest.raises(DuplicateEmail):
        await write(container, AccountRepository, lambda r: r.create(GOOD))


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"kind": "deposit", "amount": -1}, ValidationFailed),
        ({"kind": "fee", "amount": 0}, ValidationFailed),
        ({"kind": "deposit", "amount": 1, "account_id": 999}, NotFound),
    ],
)
async def test_ledger_constraints_become_toolkit_errors(container, database_url, values, error):
    account = await write(container, AccountRepository, lambda r: r.create(GOOD))
    with pytest.raises(error):
        await write(container, TransactionRepository, lambda r: r.create({"account_id": account.id} | values))
    assert await write(container, TransactionRepository, lambda r: r.count()) == 0
