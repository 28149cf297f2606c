from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg
import pytest

from tests.conftest import libpq
from toolkit.errors import Conflict, ValidationFailed


def counts(qa):
    return len(qa.accounts.frame()), len(qa.transactions.frame()), len(qa.audit.frame())


def test_diff_shows_only_changed_cells_and_writes_nothing(seeded):
    df = seeded.accounts.frame()
    before = counts(seeded)
    df.loc[df["id"] == 2, "plan"] = "business"
    df.loc[df["id"] == 3, ["full_name", "country"]] = ["Cyrus", "IT"]
    plan = seeded.accounts.diff(df)
    assert sorted(plan.updates[["id", "column", "old", "new"]].itertuples(index=False, name=None)) == [
        (2, "plan", "pro", "business"),
        (3, "country", "FR", "IT"),
        (3, "full_name", "Cy", "Cyrus"),
    ]
    assert len(plan.unchanged) == 3 and len(plan.inserts) == 0 and len(plan.conflicts) == 0
    assert "Changed cells" in plan._repr_html_()
    assert counts(seeded) == before


def test_apply_writes_inserts_and_updates_in_one_transaction_with_audit(seeded):
    df = seeded.accounts.frame()
    df.loc[df["id"] == 1, "plan"] = "pro"
    new = pd.DataFrame({"email": ["NEW@example.com"], "full_name": ["New"], "country": ["pt"]})
    report = seeded.accounts.diff(pd.concat([df, new], ignore_index=True)).apply()
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 4)
    after = seeded.accounts.frame().set_index("id")
    assert after.loc[1, "plan"] == "pro" and after.loc[1, "version"] == 3
    assert after.loc[6, "email"] == "new@example.com" and after.loc[6, "country"] == "PT"
    audit = seeded.audit.frame(action=["update", "create"], actor="test:analyst")
    update = audit[audit["action"] == "update"].iloc[-1]
    assert update["entity_id"] == 1 and update["changes"]["plan"] == {"old": "free", "new": "pro"}
    [created] = audit[(audit["action"] == "create") & (audit["entity_id"] == 6)].itertuples()
    assert (created.entity_id, created.last_entity_id, created.changes["rows"]) == (6, 6, 1)


def test_rows_absent_from_the_frame_are_never_deleted(seeded):
    df = seeded.accounts.frame(limit=2)
    df["plan"] = "business"
    seeded.accounts.save(df)
    assert len(seeded.accounts.frame()) == 5


def test_a_frame_read_with_a_few_columns_is_saved_back(seeded):
    df = seeded.accounts.frame(columns=["id", "plan", "version"], order_by="id")
    df.loc[df["id"] == 2, "plan"] = "business"
    report = seeded.accounts.save(df)
    assert (report.updated, report.unchanged) == (1, 4)
    assert seeded.accounts.get(2).plan == "business" and seeded.accounts.get(2).full_name == "Bo"


def test_conflict_refuses_the_whole_plan_unless_skipped(seeded):
    df = seeded.accounts.frame()
    seeded.accounts.update(1, full_name="Changed elsewhere")  # someone else, after our read
    df.loc[df["id"] == 1, "full_name"] = "Mine"
    df.loc[df["id"] == 2, "full_name"] = "Also mine"
    plan = seeded.accounts.diff(df)
    assert plan.conflicts[["id", "your_version", "current_version"]].values.tolist() == [[1, 2, 3]]
    with pytest.raises(Conflict, match="changed by someone else"):
        plan.apply()
    assert seeded.accounts.get(2).full_name == "Bo"  # nothing written
    report = plan.apply(skip_conflicts=True)
    assert (report.updated, report.skipped_conflicts) == (1, 1)
    assert seeded.accounts.get(1).full_name == "Changed elsewhere"
    assert seeded.accounts.get(2).full_name == "Also mine"


def test_apply_rechecks_versions_after_diff(seeded):
    df = seeded.accounts.frame()
    df.loc[df["id"].isin([1, 2]), "plan"] = "business"
    plan = seeded.accounts.diff(df)
    seeded.transactions.post(2, "deposit", "1.00")  # moves account 2's balance and version
    with pytest.raises(Conflict, match=r"ids \[2\]"):
        plan.apply()
    assert seeded.accounts.get(1).plan == "free"


def test_read_only_columns_are_invalid_when_changed(seeded):
    df = seeded.accounts.frame()
    df.loc[df["id"] == 1, "balance"] = Decimal("1000000.00")
    plan = seeded.accounts.diff(df)
    assert plan.invalid[["row", "column"]].values.tolist() == [[0, "balance"]]
    with pytest.raises(ValidationFailed, match="balance"):
        plan.apply()
    assert seeded.accounts.get(1).balance == Decimal("100.25")


def test_closed_accounts_cannot_be_reopened_from_a_frame(seeded):
    seeded.accounts.close(5)
    df = seeded.accounts.frame(id=5)
    df["status"] = "active"
    plan = seeded.accounts.diff(df)
    assert "cannot be reopened" in plan.invalid["reason"].iloc[0]


@pytest.mark.parametrize(
    ("edit", "row", "column", "reason"),
    [
        (lambda df: df.assign(nickname="x"), None, "nickname", "unknown column"),
        (
            lambda df: df.assign(version=df["version"].astype(object).where(df["id"] != 2, "two")),
            1,
            "version",
            "whole number",
        ),
        (
            lambda df: df.assign(full_name=df["full_name"].where(df["id"] != 3, None)),
            2,
            "full_name",
            "required",
        ),
        (lambda df: df.assign(id=[1, 1, 3, 4, 5]), 0, "id", "duplicate id"),
        (
            lambda df: df.assign(plan=df["plan"].astype(object).where(df["id"] != 4, "gold")),
            3,
            "plan",
            "one of",
        ),
        (
            lambda df: df.assign(country=df["country"].where(df["id"] != 5, "Narnia")),
            4,
            "country",
            "ISO 3166",
        ),
        (
            lambda df: df.assign(email=df["email"].where(df["id"] != 5, "user0@example.com")),
            0,
            "email",
            "more than one row",
        ),
    ],
)
def test_bad_frames_are_refused_naming_row_and_column_and_nothing_is_written(
    seeded, edit, row, column, reason
):
    df = seeded.accounts.frame()
    df["plan"] = "business"  # a valid change on every row, which must not be written either
    before = counts(seeded)
    with pytest.raises(ValidationFailed, match=reason) as caught:
        seeded.accounts.save(edit(df))
    assert any(i.row == row and i.field == column for i in caught.value.issues), caught.value.issues
    assert counts(seeded) == before
    assert (seeded.accounts.frame()["plan"] != "business").any()


def test_malformed_email_on_the_last_of_many_rows_is_named_and_nothing_is_loaded(qa):
    n = 20_000
    frame = pd.DataFrame(
        {"email": [f"bulk{i}@example.com" for i in range(n)], "full_name": "Bulk", "country": "DE"}
    )
    frame.loc[n - 1, "email"] = "bulk-at-example.com"
    with pytest.raises(ValidationFailed, match=f"row {n - 1}, field 'email'"):
        qa.accounts.insert_frame(frame)
    assert len(qa.accounts.frame()) == 0


def test_nan_in_required_fields_is_refused(qa):
    frame = pd.DataFrame(
        {"email": ["a@example.com", np.nan], "full_name": ["A", "B"], "country": ["DE", "DE"]}
    )
    with pytest.raises(ValidationFailed, match="row 1, field 'email': is required"):
        qa.accounts.insert_frame(frame)


def test_nan_amount_in_a_float_column_is_named_not_a_crash(seeded):
    frame = pd.DataFrame({"account_id": [1, 2], "kind": ["deposit", "deposit"], "amount": [5.25, np.nan]})
    with pytest.raises(ValidationFailed, match="row 1, field 'amount': is required"):
        seeded.transactions.post_frame(frame)


@pytest.mark.parametrize(
    "amounts",
    [["5", "-100.25"], [5, -1], pd.array([5, -1], dtype="Int64")],
    ids=["text", "whole numbers", "nullable integers"],
)
def test_post_frame_takes_amounts_as_text_and_whole_numbers(seeded, amounts):
    report = seeded.transactions.post_frame(
        pd.DataFrame({"account_id": [1, 1], "kind": ["deposit", "withdrawal"], "amount": amounts})
    )
    assert report.inserted == 2
    posted = seeded.transactions.frame(order_by="id")["amount"].tolist()[-2:]
    assert posted == [Decimal(str(a)) for a in amounts]


def test_insert_frame_fills_defaults_and_audits_the_load_once(qa):
    report = qa.accounts.insert_frame(
        pd.DataFrame(
            {"email": ["a@example.com", "b@example.com"], "full_name": ["A", "B"], "country": ["DE", "AT"]}
        )
    )
    assert report.inserted == 2 and len(report.ids) == 2
    df = qa.accounts.frame()
    assert df["plan"].tolist() == ["free", "free"] and df["currency"].tolist() == ["EUR", "EUR"]
    [load] = qa.audit.frame(action="create").itertuples()
    assert (load.actor, load.entity_id, load.last_entity_id) == ("test:analyst", report.ids[0], report.ids[1])
    assert load.changes == {"rows": 2, "columns": ["email", "full_name", "country"]}
    for id_ in report.ids:  # each account's history starts with the load that created it
        assert [a.id for a in qa.audit.history("account", id_)] == [load.id]
        assert qa.audit.frame(entity="account", about=id_)["id"].tolist() == [load.id]
    assert qa.audit.frame(entity_id=report.ids[1]).empty  # a column filter: the load starts at ids[0]


def test_insert_frame_refuses_an_email_that_exists(seeded):
    with pytest.raises(ValidationFailed, match="already belongs to account 1"):
        seeded.accounts.insert_frame(
            pd.DataFrame({"email": ["USER0@example.com"], "full_name": ["Dup"], "country": ["DE"]})
        )


def test_insert_frame_names_every_row_whose_email_is_taken_and_loads_nothing(seeded):
    before = counts(seeded)
    frame = pd.DataFrame(
        {
            "email": ["fresh@example.com", "user3@example.com", "other@example.com", "User1@example.com"],
            "full_name": ["F", "Dup3", "O", "Dup1"],
            "country": ["DE"] * 4,
        }
    )
    with pytest.raises(ValidationFailed) as caught:
        seeded.accounts.insert_frame(frame)
    named = {(i.row, i.field, i.reason) for i in caught.value.issues}
    assert named == {
        (1, "email", "'user3@example.com' already belongs to account 4"),
        (3, "email", "'user1@example.com' already belongs to account 2"),
    }
    assert counts(seeded) == before
    frame.loc[0, "country"] = "Narnia"
    with pytest.raises(ValidationFailed) as caught:
        seeded.accounts.insert_frame(frame)
    assert {(i.row, i.field) for i in caught.value.issues} == {(0, "country"), (1, "email"), (3, "email")}
    assert counts(seeded) == before


def test_insert_frame_audits_exactly_its_rows_when_the_drawn_ids_have_gaps(qa, database_url):
    def increment(by: int) -> None:  # a schema change: the owner's, not the toolkit's roles'
        with psycopg.connect(libpq(database_url), autocommit=True) as conn:
            conn.execute(f"alter table accounts alter column id set increment by {by}")

    increment(3)
    try:
        report = qa.accounts.insert_frame(
            pd.DataFrame({"email": ["a@example.com", "b@example.com"], "full_name": "A", "country": "DE"})
        )
    finally:
        increment(1)
    assert report.ids == [1, 4]
    df = qa.accounts.frame(order_by="id")
    assert df["id"].tolist() == [1, 4] and df["email"].tolist() == ["a@example.com", "b@example.com"]
    audit = qa.audit.frame(action="create", order_by="entity_id")
    assert audit["entity_id"].tolist() == [1, 4] and audit["last_entity_id"].tolist() == [1, 4]
    assert [c["rows"] for c in audit["changes"]] == [1, 1]
    assert [a.entity_id for a in qa.audit.history("account", 4)] == [4]
    assert qa.audit.history("account", 2) == [] and qa.audit.history("account", 3) == []


PAUSE = """
create function pause_on_marked_email() returns trigger language plpgsql as $$
begin
    perform pg_advisory_lock(4216);  -- held by the test until another session has written its row
    perform pg_advisory_unlock(4216);
    return new;
end $$;
create trigger pause_on_marked_email before insert on accounts
    for each row when (new.email = 'pause@example.com') execute function pause_on_marked_email();
"""


def test_insert_frame_returns_and_audits_its_own_ids_when_another_session_writes_one_in_between(
    qa, database_url
):
    """The COPY draws its ids; an account another session writes meanwhile takes an id inside their range,
    and is neither among the ids returned nor in the load's audit."""
    emails = ["a@example.com", "b@example.com", "pause@example.com", "c@example.com", "d@example.com"]
    frame = pd.DataFrame({"email": emails, "full_name": "A", "country": "DE"})
    with psycopg.connect(libpq(database_url), autocommit=True) as owner:
        owner.execute(PAUSE)
        try:
            owner.execute("select pg_advisory_lock(4216)")
            with ThreadPoolExecutor(1) as pool:
                loading = pool.submit(qa.accounts.insert_frame, frame)
                waiting = "select count(*) from pg_locks where locktype = 'advisory' and not granted"
                for _ in range(6000):  # until the COPY waits on the lock, three rows in
                    if owner.execute(waiting).fetchone()[0]:  # type: ignore[index]
                        break
                    assert not loading.done(), loading.result()
                    time.sleep(0.005)
                else:
                    raise AssertionError("the COPY never reached the row that waits")
                other = "insert into accounts (email, full_name, country) values ('x@example.com', 'X', 'NL')"
                owner.execute(other)
                owner.execute("select pg_advisory_unlock(4216)")
                report = loading.result(timeout=60)
        finally:
            owner.execute("drop trigger pause_on_marked_email on accounts")
            owner.execute("drop function pause_on_marked_email()")
    df = qa.accounts.frame(order_by="id")
    assert df["email"].tolist() == [*emails[:3], "x@example.com", *emails[3:]]
    assert report.ids == [1, 2, 3, 5, 6]
    audit = qa.audit.frame(action="create", order_by="entity_id")
    assert list(zip(audit["entity_id"], audit["last_entity_id"], strict=True)) == [(1, 3), (5, 6)]
    assert qa.audit.history("account", 4) == []


def test_post_frame_moves_balances_in_posting_order_all_or_nothing(seeded):
    before = seeded.accounts.frame().set_index("id")["balance"]
    ok = pd.DataFrame(
        {
            "account_id": [1, 1, 2],
            "kind": ["withdrawal", "deposit", "fee"],
            "amount": ["-100.25", "5", "-0.25"],
        }
    )
    report = seeded.transactions.post_frame(ok)
    assert report.inserted == 3
    after = seeded.accounts.frame().set_index("id")["balance"]
    assert after[1] == Decimal("5.00") and after[2] == before[2] - Decimal("0.25")
    audit = seeded.audit.frame(action="post")
    assert audit["changes"].iloc[-3]["balance"] == {"old": "100.25", "new": "0.00"}

    overdraw = pd.DataFrame(
        {"account_id": [3, 1, 1], "kind": ["deposit", "withdrawal", "deposit"], "amount": [1, -6, 100]}
    )
    with pytest.raises(ValidationFailed, match=r"row 1, field 'amount'.*overdraft"):
        seeded.transactions.post_frame(overdraw)
    assert seeded.accounts.frame().set_index("id")["balance"].equals(after)
    assert len(seeded.transactions.frame()) == 8


def test_post_frame_refuses_closed_unknown_accounts_and_wrong_signs(seeded):
    seeded.accounts.close(4)
    frame = pd.DataFrame(
        {"account_id": [4, 99, 1], "kind": ["deposit", "deposit", "deposit"], "amount": ["1", "1", "1"]}
    )
    with pytest.raises(ValidationFailed) as caught:
        seeded.transactions.post_frame(frame)
    assert {(i.row, i.reason.split()[-1]) for i in caught.value.issues} == {(0, "closed"), (1, "exist")}
    with pytest.raises(ValidationFailed, match="row 0, field 'amount': must be positive"):
        seeded.transactions.post_frame(pd.DataFrame({"account_id": [1], "kind": ["deposit"], "amount": [-5]}))
    with pytest.raises(ValidationFailed, match="2 decimal"):
        seeded.transactions.post_frame(
            pd.DataFrame({"account_id": [1], "kind": ["deposit"], "amount": [1.005]})
        )
    assert len(seeded.transactions.frame()) == 5
