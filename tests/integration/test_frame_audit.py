"""The audit rows of frame writes: exactly the changed cells, old and new, whatever characters they hold;
a bulk load as one row per run of consecutive ids."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.frames import write

# COPY's special characters (a literal backslash-t must not become a tab); a real tab is refused in names.
AWKWARD = 'Zoë "Z" O\'Neil, \\ and \\t here'


@pytest.fixture(params=["returning old", "self-join"])
def old_values(request, monkeypatch):
    """Both ways an update reads the values it replaces: `RETURNING old.*` (PostgreSQL 18+) and the
    self-join older servers need."""
    if request.param == "self-join":
        monkeypatch.setattr(write, "returns_old_values", lambda conn: False)
    return request.param


def test_frame_writes_audit_exact_old_and_new_values(qa, old_values):
    report = qa.accounts.insert_frame(
        pd.DataFrame({"email": ["z@example.com"], "full_name": [AWKWARD], "country": ["IE"]})
    )
    [created] = qa.audit.history("account", report.ids[0])
    first = report.ids[0]
    assert (created.action, created.entity_id, created.last_entity_id) == ("create", first, first)
    assert created.changes == {"rows": 1, "columns": ["email", "full_name", "country"]}
    df = qa.accounts.frame()
    df["full_name"] = "Plain"
    df["plan"] = "pro"
    qa.accounts.save(df)
    updated = qa.audit.history("account", report.ids[0])[-1]
    assert updated.action == "update" and updated.changes == {
        "full_name": {"old": AWKWARD, "new": "Plain"},
        "plan": {"old": "free", "new": "pro"},
        "version": {"old": 1, "new": 2},
    }
