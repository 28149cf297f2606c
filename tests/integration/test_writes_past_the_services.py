"""Writes that skip the services (`qa.sql(write=True)`, a plain connection as the writer) still bump an
account's version, cannot revive a revoked key, and cannot move a creation time (migration 0009)."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import admin_rows, libpq
from toolkit.errors import Conflict, NotPermitted
from toolkit.roles import WRITER, role_url
from toolkit.services import ApiKeyService


def writer(database_url) -> psycopg.Connection:
    return psycopg.connect(libpq(role_url(database_url, WRITER)), autocommit=True)


def versions(database_url) -> dict[int, int]:
    return dict(admin_rows(database_url, "select id, version from accounts"))


def test_a_change_past_the_services_is_a_conflict_for_a_frame_read_before_it(seeded, database_url):
    frame = seeded.accounts.frame(order_by="id")
    before = versions(database_url)
    with writer(database_url) as conn:
        conn.execute("update accounts set full_name = 'Ada Raw' where id = 1")
    seeded.sql("update accounts set plan = 'business' where id = 2", write=True)
    after = versions(database_url)
    assert after[1] == before[1] + 1 and after[2] == before[2] + 1 and after[3] == before[3]
    moved = admin_rows(
        database_url, "select updated_at > now() - interval '1 minute' from accounts where id = 1"
    )
    assert moved == [(True,)]
    frame.loc[[0, 1], "full_name"] = ["Ada From The Frame", "Bo From The Frame"]
    plan = seeded.accounts.diff(frame)
    assert len(plan.conflicts) == 2
    with pytest.raises(Conflict):
        plan.apply()
    assert seeded.accounts.get(1).full_name == "Ada Raw"  # not silently overwritten
    assert seeded.accounts.get(2).full_name == "Bo"


def test_the_services_own_writes_still_bump_the_version_once(seeded, database_url):
    before = versions(database_url)[3]
    seeded.accounts.update(3, version=before, plan="free")
    seeded.transactions.post(3, "deposit", "1.00")
    seeded.sql("update accounts set version = version + 1, plan = 'pro' where id = 3", write=True)
    with writer(database_url) as conn:
        conn.execute("update accounts set plan = plan where id = 3")  # no change: no new version
    assert versions(database_url)[3] == before + 3


async def test_a_revoked_key_stays_revoked_on_every_path(container, qa, database_url):
    async with container.enter_scope() as scope:
        keys = await scope.get(ApiKeyService)
        await keys.create("leaked", "write", actor="test")
        await keys.revoke("leaked", actor="test")
    with writer(database_url) as conn, pytest.raises(psycopg.errors.CheckViolation, match="stays revoked"):
        conn.execute("update api_keys set revoked_at = null where name = 'leaked'")
    with pytest.raises(Conflict, match="API key leaked was revoked and stays revoked"):
        qa.sql("update api_keys set revoked_at = now() where name = 'leaked'", write=True)
    assert admin_rows(database_url, "select revoked_at is not null from api_keys where name = 'leaked'") == [
        (True,)
    ]


def test_a_creation_time_cannot_be_changed_by_the_writer(seeded, database_url):
    with pytest.raises(NotPermitted, match="permission denied"):
        seeded.sql("update accounts set created_at = '2020-01-01' where id = 1", write=True)
    with writer(database_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("update accounts set created_at = '2020-01-01' where id = 1")
    new = seeded.sql(
        "insert into accounts (email, full_name, country, created_at)"
        " values ('old@example.com', 'Old', 'DE', '2020-01-01Z') returning created_at",
        write=True,
    )
    assert str(new["created_at"].iloc[0]).startswith("2020-01-01")  # a new row may still be given one
