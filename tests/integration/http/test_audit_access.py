"""Audit rows of `qa.sql(..., write=True)` hold statements and their parameters, and those of API keys name
every key and its scope: write keys only."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import psycopg
import pytest

from tests.conftest import admin_rows, libpq

SECRET_PARAMS = {"statement": "update accounts set plan = %(plan)s", "params": {"plan": "card 4111"}}


@pytest.fixture
def sql_audit_row(database_url: Any, accounts: list[dict[str, Any]]) -> None:
    with psycopg.connect(libpq(database_url)) as conn:
        conn.execute(
            "insert into audit_log (actor, action, entity, entity_id, changes)"
            " values ('analyst', 'sql', 'sql', 0, %s)",
            (json.dumps(SECRET_PARAMS),),
        )


async def test_a_read_key_never_sees_sql_audit_rows(client, read_key, sql_audit_row, database_url):
    counted = read_key | {"Prefer": "count=exact"}
    listed = await client.get("/v1/audit?order=id.desc", headers=counted)
    assert listed.status_code == 200 and listed.json()
    assert "sql" not in {row["entity"] for row in listed.json()}
    total = int(listed.headers["content-range"].split("/")[1])
    assert total == len(listed.json())
    asked = await client.get("/v1/audit?entity=eq.sql", headers=counted)
    assert asked.json() == [] and asked.headers["content-range"].endswith("/0")
    as_csv = await client.get("/v1/audit?action=eq.sql", headers=read_key | {"Accept": "text/csv"})
    assert list(csv.reader(io.StringIO(as_csv.text)))[1:] == []
    assert "card 4111" not in listed.text + asked.text + as_csv.text
    [(hidden,)] = admin_rows(database_url, "select id from audit_log where entity = 'sql'")
    one = await client.get(f"/v1/audit/{hidden}", headers=read_key)
    assert one.status_code == 404 and "card 4111" not in one.text


async def test_a_write_key_sees_sql_audit_rows(client, write_key, sql_audit_row):
    response = await client.get("/v1/audit?entity=eq.sql", headers=write_key | {"Prefer": "count=exact"})
    assert [row["changes"] for row in response.json()] == [SECRET_PARAMS]
    assert response.headers["content-range"] == "0-0/1"


async def test_a_read_key_never_sees_which_keys_exist(client, read_key, write_key):
    # Both fixtures' keys were created through the service, so the audit log holds their creation.
    hidden = await client.get("/v1/audit?entity=eq.api_key", headers=read_key)
    assert hidden.status_code == 200 and hidden.json() == []
    listed = await client.get("/v1/audit", headers=read_key)
    assert "api_key" not in {row["entity"] for row in listed.json()}
    seen = await client.get("/v1/audit?entity=eq.api_key", headers=write_key)
    assert {row["changes"]["name"]["new"] for row in seen.json()} >= {"reader", "writer"}
