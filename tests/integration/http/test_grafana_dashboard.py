"""The Grafana dashboard in grafana/: its queries are routes of the sidecar and answer as Grafana asks."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from toolkit.services import SampleDataService

DASHBOARD = Path(__file__).parents[3] / "grafana" / "queaccount-dashboard.json"
INFINITY = "yesoreyeram-infinity-datasource"
VARIABLE = re.compile(r"\$\{([^}:]+)(?::[^}]*)?\}")
BERLIN = ZoneInfo("Europe/Berlin")


def queries() -> list[tuple[str, dict]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target) for panel in dashboard["panels"] for target in panel["targets"]]


def as_grafana_sends(url: str, values: dict[str, str]) -> str:
    unknown = {name for name in VARIABLE.findall(url) if name not in values}
    assert not unknown, (url, unknown)
    return VARIABLE.sub(lambda m: values[m.group(1)], url)


def test_the_dashboard_is_infinity_json_with_no_key_in_it():
    text = DASHBOARD.read_text()
    dashboard = json.loads(text)
    assert [p["title"] for p in dashboard["panels"]] == [
        "Signups per day",
        "Transactions per hour by kind",
        "Accounts by plan",
    ]
    assert {t["datasource"]["type"] for _, t in queries()} == {INFINITY}
    assert {v["name"] for v in dashboard["templating"]["list"]} == {"tz"}
    assert "Bearer" not in text and "qa_" not in text


async def test_every_panel_query_is_a_route_and_answers_rows_from_the_sample_data(client, read_key, run):
    await run(SampleDataService, lambda s: s.load_if_empty(accounts=300, transactions=3000))
    paths = {route.path for route in client.app.routes}
    start, end = datetime(2025, 3, 20, tzinfo=BERLIN), datetime(2025, 4, 3, tzinfo=BERLIN)
    values = {
        "__from": str(int(start.timestamp() * 1000)),
        "__to": str(int(end.timestamp() * 1000)),
        "tz": "Europe/Berlin",
    }
    for title, target in queries():
        url = as_grafana_sends(target["url"], values)
        assert url.split("?")[0] in paths, (title, url)
        response = await client.get(url, headers=read_key)
        assert response.status_code == 200, (title, url, response.text)
        rows = response.json()
        assert rows and any(row.get("count", row.get("signups")) for row in rows), (title, rows)
        assert {c["selector"] for c in target["columns"]} <= set(rows[0]), (title, rows[0])
        for column in target["columns"]:
            if column["type"] == "timestamp":
                first = datetime.fromisoformat(rows[0][column["selector"]])
                assert first == datetime(2025, 3, 20, tzinfo=BERLIN), (title, rows[0])
