"""diff(df, key=...): frames without ids (a CSV from finance) merged into accounts by email: matched rows
updated (version-checked), the rest inserted or refused, everything audited as the id path is."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import ChangeRefused, Conflict, ValidationFailed


@pytest.fixture
def three(qa):
    """Accounts 1-3: ada (free), bo (pro), cy (business)."""
    qa.accounts.insert_frame(
        pd.DataFrame(
            {
                "email": ["ada@example.com", "bo@example.com", "cy@example.com"],
                "full_name": ["Ada", "Bo", "Cy"],
                "country": ["GB", "DE", "FR"],
                "plan": ["free", "pro", "business"],
            }
        )
    )
    return qa


def finance_csv(**extra):
    """What finance sends: emails (as people type them), names, plans; no ids, no versions."""
    return pd.DataFrame(
        {
            "email": [" ADA@example.com", "bo@example.com", "cy@example.com", "dee@example.com"],
            "full_name": ["Ada", "Bo", "Cy", "Dee"],
            "country": ["GB", "DE", "FR", "NL"],
            "plan": ["pro", "pro", "free", "pro"],
        }
        | extra
    )


def test_rows_matched_by_email_are_updated_and_the_rest_inserted_all_audited(three):
    plan = three.accounts.diff(finance_csv(), key="email")
    assert sorted(plan.updates[["id", "column", "old", "new"]].itertuples(index=False, name=None)) == [
        (1, "plan", "free", "pro"),
        (3, "plan", "business", "free"),
    ]
    assert len(plan.unchanged) == 1 and plan.inserts["email"].tolist() == ["dee@example.com"]
    assert str(plan).startswith("account plan: 1 to insert, 2 to update (2 cells), 1 unchanged")
    report = plan.apply()
    assert (report.inserted, report.updated, report.unchanged) == (1, 2, 1)
    after = three.accounts.frame(order_by="id").set_index("email")
    assert after["plan"].to_dict() == {
        "ada@example.com": "pro",
        "bo@example.com": "pro",
        "cy@example.com": "free",
        "dee@example.com": "pro",
    }
    assert after["version"].tolist() == [2, 1, 2, 1]
    updated = three.audit.frame(action="update", order_by="entity_id")
    assert updated["entity_id"].tolist() == [1, 3] and set(updated["actor"]) == {"test:analyst"}
    assert updated["changes"].iloc[0] == {
        "plan": {"old": "free", "new": "pro"},
        "version": {"old": 1, "new": 2},
    }
    [load] = three.audit.frame(action="create", entity_id=4).itertuples()
    assert (load.last_entity_id, load.changes["rows"]) == (4, 1)


def test_insert_false_refuses_the_rows_that_match_none_naming_them(three):
    frame = finance_csv()
    plan = three.accounts.diff(frame, key="email", insert=False)
    assert plan.invalid[["row", "column"]].values.tolist() == [[3, "email"]]
    assert "no account has this email" in plan.invalid["reason"].iloc[0]
    assert len(plan.inserts) == 0 and "1 invalid row" in str(plan)
    with pytest.raises(ValidationFailed, match="row 3, field 'email': no account has this email"):
        plan.apply()
    assert len(three.accounts.frame()) == 3 and len(three.audit.frame(action="update")) == 0
    report = plan.apply(skip_invalid=True)
    assert (report.inserted, report.updated, report.skipped_invalid) == (0, 2, 1)
    assert len(three.accounts.frame()) == 3


def test_a_key_that_repeats_in_the_frame_is_refused_naming_the_rows(three):
    frame = finance_csv()
    frame.loc[3, "email"] = "Cy@Example.com"  # the same as row 2 once normalised
    plan = three.accounts.diff(frame, key="email")
    repeated = plan.invalid[plan.invalid["reason"].str.contains("more than one row")]
    assert sorted(repeated["row"]) == [2, 3]
    with pytest.raises(ValidationFailed, match="row 2, field 'email': appears in more than one row"):
        plan.apply()
    assert three.accounts.get(3).plan == "business"


def test_a_key_that_is_not_declared_is_refused_listing_the_declared_ones(three):
    with pytest.raises(
        ValidationFailed,
        match=r"'full_name' is not a natural key of account rows: the declared ones are 'email'",
    ):
        three.accounts.diff(finance_csv(), key="full_name")
    with pytest.raises(ValidationFailed, match="field 'email': is the key but is not in the frame"):
        three.accounts.diff(finance_csv().drop(columns="email"), key="email")
    with pytest.raises(ChangeRefused, match="append-only"):
        three.transactions.diff(pd.DataFrame({"account_id": [1]}), key="account_id")


def test_a_row_changed_between_diff_and_apply_is_a_conflict_and_nothing_is_written(three):
    plan = three.accounts.diff(finance_csv(), key="email")
    three.accounts.update(3, full_name="Cyrus")  # another writer, after diff()
    with pytest.raises(Conflict, match=r"1 account\(s\) changed since diff\(\) \(ids \[3\]\)"):
        plan.apply()
    assert three.accounts.get(1).plan == "free" and len(three.accounts.frame()) == 3
    report = plan.apply(skip_conflicts=True)
    assert (report.inserted, report.updated, report.skipped_conflicts) == (1, 1, 1)
    cy = three.accounts.get(3)
    assert (cy.full_name, cy.plan, cy.version) == ("Cyrus", "business", 2)


def test_a_frame_with_versions_is_checked_against_them(three):
    three.accounts.update(1, full_name="Ada L.")
    frame = finance_csv(version=[1, 1, 1, None], full_name=["Ada L.", "Bo", "Cy", "Dee"])
    plan = three.accounts.diff(frame, key="email")
    assert plan.conflicts[["row", "id", "your_version", "current_version"]].values.tolist() == [[0, 1, 1, 2]]
    assert "1 conflict (apply(skip_conflicts=True) writes the rest)" in str(plan)


def test_rows_with_ids_and_rows_with_keys_mix_in_one_frame(three):
    frame = three.accounts.frame(id=[2, 3], order_by="id")
    frame["full_name"] = ["Bo B.", "Cy C."]
    frame.loc[1, ["id", "version"]] = pd.NA  # cy's row as if it came from elsewhere: named by email only
    plan = three.accounts.diff(frame, key="email")
    assert sorted(plan.updates[["id", "column"]].itertuples(index=False, name=None)) == [
        (2, "full_name"),
        (3, "full_name"),
    ]
    plan.apply()
    assert (three.accounts.get(2).full_name, three.accounts.get(3).full_name) == ("Bo B.", "Cy C.")


def test_a_frame_of_changes_only_needs_no_required_columns(three):
    report = three.accounts.save(
        pd.DataFrame({"email": ["bo@example.com"], "plan": ["business"]}), key="email"
    )
    assert (report.inserted, report.updated) == (0, 1)
    assert three.accounts.get(2).plan == "business"


def test_a_closed_account_matched_by_email_is_refused_as_by_id(three):
    three.accounts.close(2)
    plan = three.accounts.diff(pd.DataFrame({"email": ["bo@example.com"], "plan": ["free"]}), key="email")
    assert "the account is closed" in plan.invalid["reason"].iloc[0]


def test_insert_false_without_a_key_refuses_the_rows_without_ids(three):
    frame = pd.concat([three.accounts.frame(id=[1]).assign(plan="pro"), finance_csv().iloc[[3]]])
    plan = three.accounts.diff(frame.reset_index(drop=True), insert=False)
    assert plan.invalid[["row", "column"]].values.tolist() == [[1, "id"]]
    assert plan.invalid["reason"].iloc[0].startswith("has no id (insert=False")
    assert (len(plan.inserts), plan.updated_rows) == (0, 1)
