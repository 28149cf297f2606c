"""What a notebook shows for history, reports and migrations: small tables, readable times, no raw reprs."""

from __future__ import annotations

import pandas as pd


def test_history_is_a_table_with_readable_times_and_old_and_new_values(qa):
    report = qa.accounts.insert_frame(
        pd.DataFrame({"email": ["h@example.com"], "full_name": ["H"], "country": ["DE"]})
    )
    [id_] = report.ids
    qa.accounts.update(id_, plan="pro")
    history = qa.audit.history("account", id_)
    assert [a.action for a in history] == ["create", "update"]
    text, html = repr(history), history._repr_html_()
    assert "zoneinfo" not in text.lower() and "AuditEntry(" not in text
    assert f"{history[1].at:%Y-%m-%d %H:%M:%S} UTC" in text
    assert "plan: free → pro" in html and html.count("<tr>") == 2
    assert history.table()["actor"].tolist() == ["test:analyst", "test:analyst"]
    header, row = repr(report).splitlines()
    assert header.split()[:4] == ["entity", "inserted", "updated", "unchanged"]
    assert row.split() == ["account", "1", "0", "0", "0", "0"]


def test_migrations_answer_with_tables_that_stay_lists(qa):
    from toolkit import migrations

    now = qa.migrations.upgrade()
    assert now == migrations.heads() and isinstance(now, list)
    header, row = repr(now).splitlines()
    assert header.split() == ["revision", "message", "head"] and row.split()[0] == now[0]
    assert row.rstrip().endswith("yes")
    history = qa.migrations.history()
    assert history[0].down_revision is None and "(base)" in repr(history)
    assert qa.migrations.check() == [] and "no drift" in qa.migrations.check()._repr_html_()
