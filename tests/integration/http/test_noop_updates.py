"""An update that changes nothing writes nothing: no audit row, the version (and so every ETag and frame read
before it) kept. Through both faces: the notebook's update() and save(), and PATCH with a write key."""

from __future__ import annotations

from tests.conftest import admin_rows


def audited(url, account_id):
    [(count,)] = admin_rows(
        url, f"select count(*) from audit_log where entity = 'account' and entity_id = {int(account_id)}"
    )
    return count


def test_a_notebook_update_to_the_values_already_held_keeps_version_and_audit(qa, database_url):
    ada = qa.accounts.create(email="ada@example.com", full_name="Ada", country="GB", plan="pro")
    before = audited(database_url, ada.id)
    same = qa.accounts.update(ada.id, plan="pro", email=" ADA@example.com", country="gb")
    assert (same.version, same.updated_at) == (ada.version, ada.updated_at)
    after = qa.accounts.get(ada.id)
    assert (after.version, after.updated_at) == (1, ada.updated_at)
    assert audited(database_url, ada.id) == before == 1
    changed = qa.accounts.update(ada.id, plan="business", full_name="Ada")  # one real change: one audit row
    assert changed.version == 2 and audited(database_url, ada.id) == 2
    [entry] = [e for e in qa.audit.history("account", ada.id) if e.action == "update"]
    assert entry.changes == {"plan": {"old": "pro", "new": "business"}, "version": {"old": 1, "new": 2}}


def test_saving_an_unchanged_frame_writes_nothing(qa, database_url):
    ada = qa.accounts.create(email="ada@example.com", full_name="Ada", country="GB", plan="pro")
    frame = qa.accounts.frame()
    frame["plan"] = "pro"
    report = qa.accounts.save(frame)
    assert (report.updated, report.unchanged) == (0, 1)
    assert qa.accounts.get(ada.id).version == 1 and audited(database_url, ada.id) == 1


async def test_a_patch_that_changes_nothing_keeps_the_etag_and_writes_no_audit(
    client, write_key, accounts, database_url
):
    ada = accounts[0]  # on "pro", version 1
    url = f"/v1/accounts/{ada['id']}"
    before = audited(database_url, ada["id"])
    same = await client.patch(url, json={"plan": "pro"}, headers=write_key | {"If-Match": '"1"'})
    assert same.status_code == 204 and same.headers["etag"] == '"1"'
    shown = await client.patch(
        url, json={"plan": "pro"}, headers=write_key | {"Prefer": "return=representation"}
    )
    assert shown.status_code == 200 and shown.json()[0]["version"] == 1
    read = (await client.get(url, headers=write_key)).json()
    assert (read["version"], read["updated_at"]) == (1, ada["updated_at"])
    assert audited(database_url, ada["id"]) == before
    stale = await client.patch(url, json={"plan": "pro"}, headers=write_key | {"If-Match": '"7"'})
    assert stale.status_code == 412  # a stale precondition is still refused, change or not
