from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.conftest import ACTOR
from toolkit.errors import (
    AccountClosed,
    DeleteRefused,
    DuplicateEmail,
    NotFound,
    ReadOnlyField,
    ReopenRefused,
    StaleVersion,
    ValidationFailed,
)
from toolkit.models.enums import AccountStatus, Plan
from toolkit.services import AccountService, AuditService


async def test_create_get_list_count_and_update_through_the_service(run, new_account):
    created = await new_account(email="  Grace.Hopper@Example.COM ", full_name="Grace Hopper", country="us")
    assert created.email == "grace.hopper@example.com"
    assert created.country == "US" and created.currency == "EUR" and created.plan is Plan.FREE
    assert created.balance == Decimal("0.00") and created.version == 1
    assert created.created_at.tzinfo is not None

    fetched = await run(AccountService, lambda s: s.get(created.id))
    assert fetched == created

    await new_account(plan="pro")
    pros = await run(AccountService, lambda s: s.list(plan="pro"))
    assert [a.plan for a in pros] == [Plan.PRO]
    assert await run(AccountService, lambda s: s.count()) == 2
    assert await run(AccountService, lambda s: s.count(plan=["pro", "business"])) == 1

    updated = await run(
        AccountService, lambda s: s.update(created.id, {"plan": "business"}, actor=ACTOR, version=1)
    )
    assert updated.plan is Plan.BUSINESS and updated.version == 2
    assert updated.updated_at >= created.updated_at


async def test_email_is_unique_case_insensitively(run, new_account):
    await new_account(email="ada@example.com")
    with pytest.raises(DuplicateEmail, match=r"ada@example\.com"):
        await new_account(email="ADA@example.com")
    assert await run(AccountService, lambda s: s.count()) == 1


async def test_stale_version_is_refused_and_nothing_is_written(run, new_account):
    account = await new_account()
    await run(AccountService, lambda s: s.update(account.id, {"full_name": "First"}, actor=ACTOR, version=1))
    with pytest.raises(StaleVersion, match="version 1") as caught:
        await run(
            AccountService, lambda s: s.update(account.id, {"full_name": "Second"}, actor=ACTOR, version=1)
        )
    assert caught.value.current == 2
    after = await run(AccountService, lambda s: s.get(account.id))
    assert after.full_name == "First" and after.version == 2
    history = await run(AuditService, lambda s: s.history("account", account.id))
    assert [h.action for h in history] == ["create", "update"]


async def test_closed_account_cannot_be_reopened_or_changed(run, new_account):
    account = await new_account()
    closed = await run(AccountService, lambda s: s.close(account.id, actor=ACTOR))
    assert closed.status is AccountStatus.CLOSED
    with pytest.raises(ReopenRefused, match="reopen"):
        await run(AccountService, lambda s: s.update(account.id, {"status": "active"}, actor=ACTOR))
    with pytest.raises(AccountClosed):
        await run(AccountService, lambda s: s.update(account.id, {"plan": "pro"}, actor=ACTOR))
    assert (await run(AccountService, lambda s: s.get(account.id))).status is AccountStatus.CLOSED


async def test_accounts_are_never_deleted(run, new_account):
    account = await new_account()
    with pytest.raises(DeleteRefused, match="close"):
        await run(AccountService, lambda s: s.delete(account.id, actor=ACTOR))
    assert await run(AccountService, lambda s: s.count()) == 1


async def test_read_only_fields_are_refused(run, new_account):
    account = await new_account()
    with pytest.raises(ReadOnlyField, match="balance"):
        await run(AccountService, lambda s: s.update(account.id, {"balance": "100"}, actor=ACTOR))
    assert (await run(AccountService, lambda s: s.get(account.id))).balance == 0


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"country": "XX"}, "country", "ISO 3166"),
        ({"currency": "ABC"}, "currency", "ISO 4217"),
        ({"full_name": "   "}, "full_name", "blank"),
        ({"plan": "gold"}, "plan", "must be one of free, pro, business"),
        ({"country": 49}, "country", "Expected `str`"),
    ],
)
async def test_invalid_fields_name_the_field_and_write_nothing(run, new_account, fields, field, reason):
    with pytest.raises(ValidationFailed, match=reason) as caught:
        await new_account(**fields)
    assert caught.value.issues[0].field == field
    assert await run(AccountService, lambda s: s.count()) == 0


async def test_missing_account_is_not_found(run):
    with pytest.raises(NotFound, match="account 999 does not exist"):
        await run(AccountService, lambda s: s.get(999))


async def test_rows_holding_keys_of_two_columns_are_found_for_more_keys_than_a_statement_takes_parameters(
    container, new_account
):
    """A frame of 40,000 new rows of a model with a two-column key (the README's notes) is checked in one
    lookup: a parameter per value would stop at PostgreSQL's 65,535."""
    from toolkit.repositories import AccountRepository

    held = await new_account(email="held@example.com", country="DE")
    wanted = [(f"free{i}@example.com", "DE") for i in range(40_000)] + [("held@example.com", "DE")]
    async with container.enter_scope() as scope:
        found = await (await scope.get(AccountRepository)).holders(["email", "country"], wanted)
    assert found == {("held@example.com", "DE"): held.id}
