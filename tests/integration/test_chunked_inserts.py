"""insert_frame() and apply() of frames larger than one COPY chunk (the chunk made small here): checked and
written chunk by chunk, yet all or nothing, audited as one load, and refused with every issue named."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from toolkit.errors import ValidationFailed
from toolkit.frames import copy_in


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(copy_in, "FIRST_ROWS", 2)
    monkeypatch.setattr(copy_in, "CHUNK_ROWS", 4)


def accounts(n: int, start: int = 0) -> pd.DataFrame:
    i = range(start, start + n)
    return pd.DataFrame(
        {
            "email": [f" Person{k}@Example.com" for k in i],  # normalised on the way in
            "full_name": [f"Zoë Ünïcode {k} “quoted”, with a comma" for k in i],
            "country": pd.Series(["de", "FR", "NL"] * n, dtype="string")[:n].to_numpy(),
            "plan": pd.Categorical([["free", "pro", "business"][k % 3] for k in i]),
            "currency": [None if k % 2 else "usd" for k in i],  # NULL: the default fills it
        }
    )


def counts(qa):
    return len(qa.accounts.frame()), len(qa.audit.frame())


def test_a_load_of_many_chunks_keeps_every_value_and_the_frame_order(qa):
    frame = accounts(11)
    report = qa.accounts.insert_frame(frame)
    assert report.inserted == 11 and report.ids == sorted(report.ids)
    stored = qa.accounts.frame(order_by="id").set_index("id").loc[report.ids]
    assert stored["email"].tolist() == [f"person{k}@example.com" for k in range(11)]
    assert stored["full_name"].tolist() == frame["full_name"].tolist()
    assert stored["country"].tolist() == [c.upper() for c in frame["country"]]
    assert stored["plan"].astype(str).tolist() == frame["plan"].astype(str).tolist()
    assert stored["currency"].tolist() == ["USD" if k % 2 == 0 else "EUR" for k in range(11)]
    assert stored["balance"].tolist() == [Decimal("0.00")] * 11
    [load] = qa.audit.frame(action="create").itertuples()
    assert (load.entity_id, load.last_entity_id) == (report.ids[0], report.ids[-1])
    assert load.changes == {"rows": 11, "columns": ["email", "full_name", "plan", "country", "currency"]}
    assert [a.id for a in qa.audit.history("account", report.ids[9])] == [load.id]


def test_an_invalid_row_in_a_later_chunk_is_named_and_nothing_is_written(qa):
    frame = accounts(11)
    frame.loc[9, "email"] = "nine-at-example.com"
    frame.loc[2, "country"] = "Narnia"
    with pytest.raises(ValidationFailed) as caught:
        qa.accounts.insert_frame(frame)
    assert {(i.row, i.field) for i in caught.value.issues} == {(9, "email"), (2, "country")}
    assert counts(qa) == (0, 0)


def test_an_email_repeated_across_chunks_names_both_rows_and_writes_nothing(qa):
    frame = accounts(11)
    frame.loc[10, "email"] = "PERSON1@example.com"
    with pytest.raises(ValidationFailed) as caught:
        qa.accounts.insert_frame(frame)
    assert {(i.row, i.field, i.reason) for i in caught.value.issues} == {
        (1, "email", "appears in more than one row"),
        (10, "email", "appears in more than one row"),
    }
    assert counts(qa) == (0, 0)


def test_an_email_taken_by_an_existing_account_in_a_later_chunk_is_named(qa):
    [taken] = qa.accounts.insert_frame(accounts(1, start=100)).ids
    before = counts(qa)
    frame = accounts(11)
    frame.loc[8, "email"] = "person100@example.com"
    with pytest.raises(ValidationFailed) as caught:
        qa.accounts.insert_frame(frame)
    assert [(i.row, i.field, i.reason) for i in caught.value.issues] == [
        (8, "email", f"'person100@example.com' already belongs to account {taken}")
    ]
    assert counts(qa) == before


def test_apply_of_inserts_and_updates_over_many_chunks(qa):
    qa.accounts.insert_frame(accounts(6))
    df = qa.accounts.frame(order_by="id")
    df["plan"] = "business"
    new = accounts(9, start=50)
    report = qa.accounts.diff(pd.concat([df, new], ignore_index=True)).apply()
    assert (report.inserted, report.updated, report.unchanged) == (9, 4, 2)  # two were business already
    after = qa.accounts.frame(order_by="id").set_index("id")
    assert (after.loc[df["id"], "plan"] == "business").all()
    assert after.loc[report.ids, "email"].tolist() == [f"person{k}@example.com" for k in range(50, 59)]
    changed = qa.audit.frame(action="update")
    assert len(changed) == report.updated
    assert all(set(c) == {"plan", "version"} for c in changed["changes"])
