"""Results a notebook shows as small tables stay what they were (lists, dataclasses) and read well."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from toolkit.entities import AuditEntry
from toolkit.frames.plan import Report
from toolkit.notebook.display import Listing, audit_entries, moment


def entry(**fields):
    base = {"id": 7, "at": datetime(2025, 3, 1, 10, 0, 5, 123456, tzinfo=ZoneInfo("UTC")), "actor": "alice"}
    return AuditEntry(**(base | {"action": "update", "entity": "account", "entity_id": 42} | fields))


def test_audit_history_reads_as_a_table_of_readable_times_and_changes_and_stays_a_list():
    load = entry(
        id=1, action="create", entity_id=40, last_entity_id=49, changes={"rows": 10, "columns": ["email"]}
    )
    change = entry(changes={"plan": {"old": "free", "new": "pro"}})
    history = audit_entries([load, change])
    assert history == [load, change] and history[1].changes["plan"]["new"] == "pro"
    text = repr(history)
    assert "2025-03-01 10:00:05 UTC" in text and "zoneinfo" not in text and "AuditEntry" not in text
    assert "40..49" in text and "plan: free → pro" in text and "rows: 10; columns: email" in text
    html = history._repr_html_()
    assert html.count("<tr>") == 2 and "plan: free → pro" in html and "ZoneInfo" not in html
    assert repr(audit_entries([])) == "no audit entries"


def test_times_show_their_zone_or_offset():
    assert moment(datetime(2025, 7, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))) == "2025-07-01 12:00:00 CEST"
    assert moment(datetime(2025, 7, 1, 12, tzinfo=UTC)) == "2025-07-01 12:00:00 UTC"
    assert moment(None) == ""


def test_a_listing_escapes_html_and_counts_what_it_leaves_out():
    listing = Listing(range(60), {"n": lambda n: n, "tag": lambda n: "<b>"}, "nothing")
    html = listing._repr_html_()
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert html.count("<tr>") == 50 and "… and 10 more" in html  # body rows: the first 50
    assert repr(listing).splitlines()[0].split() == ["n", "tag"] and "… and 10 more" in repr(listing)


def test_a_report_prints_as_a_one_row_table_in_text_and_html():
    report = Report("account", inserted=5000, updated=2, unchanged=1, ids=list(range(5000)))
    header, row = repr(report).splitlines()
    assert header.split()[:4] == ["entity", "inserted", "updated", "unchanged"]
    assert row.split() == ["account", "5000", "2", "1", "0", "0"]
    html = report._repr_html_()
    assert "<th>inserted</th>" in html and "<td>5000</td>" in html and "ids" not in html
    assert str(report).startswith("account: 5000 inserted")


def test_a_row_reads_without_zoneinfo_or_enum_reprs():
    from decimal import Decimal

    from toolkit.entities import Account
    from toolkit.models.enums import AccountStatus, Plan

    at = datetime(2025, 3, 14, 9, 26, 53, tzinfo=ZoneInfo("Etc/UTC"))
    account = Account(
        id=1,
        email="ada@example.com",
        full_name="Ada",
        status=AccountStatus.ACTIVE,
        plan=Plan.PRO,
        country="DE",
        currency="EUR",
        balance=Decimal("12.50"),
        created_at=at,
        updated_at=at,
        version=3,
    )
    text = repr(account)
    assert "zoneinfo" not in text and "<AccountStatus" not in text
    assert text.startswith(
        "Account(id=1, email='ada@example.com', full_name='Ada', status='active', plan='pro'"
    )
    assert "balance=Decimal('12.50'), created_at=2025-03-14 09:26:53+00:00" in text and text.endswith(
        "version=3)"
    )
    assert repr([account]) == f"[{text}]"
