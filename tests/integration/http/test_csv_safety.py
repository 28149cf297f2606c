"""CSV a spreadsheet opens safely: formula-starting text is neutralised, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from typing import Any

CSV = {"Accept": "text/csv"}
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-12.50", "@SUM(A1:A9)"]


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_text_cells_that_start_a_formula_are_quoted_and_negative_amounts_stay_numbers(
    client: Any, write_key: dict[str, str], read_key: dict[str, str]
) -> None:
    people = [
        {"email": f"f{i}@example.com", "full_name": name, "country": "DE"} for i, name in enumerate(FORMULAS)
    ]
    made = await client.post(
        "/v1/accounts", json=people, headers=write_key | {"Prefer": "return=representation"}
    )
    assert made.status_code == 201, made.text
    first = made.json()[0]["id"]
    postings = [
        {"account_id": first, "kind": "deposit", "amount": "20.00", "occurred_at": "2025-03-01T10:00:00Z"},
        {
            "account_id": first,
            "kind": "withdrawal",
            "amount": "-12.50",
            "description": "=cmd|' /C calc'!A0",
            "occurred_at": "2025-03-02T10:00:00Z",
        },
    ]
    assert (await client.post("/v1/transactions", json=postings, headers=write_key)).status_code == 201

    accounts = table((await client.get("/v1/accounts?order=id", headers=read_key | CSV)).text)
    assert [row["full_name"] for row in accounts] == [f"'{name}" for name in FORMULAS]
    one = table((await client.get(f"/v1/accounts/{first}", headers=read_key | CSV)).text)
    assert one[0]["full_name"] == "'" + FORMULAS[0] and one[0]["balance"] == "7.50"

    ledger = table((await client.get("/v1/transactions?order=id", headers=read_key | CSV)).text)
    assert [row["amount"] for row in ledger] == ["20.00", "-12.50"]
    assert ledger[1]["description"] == "'=cmd|' /C calc'!A0"

    by_name = table(
        (await client.get("/v1/metrics/accounts?group_by=full_name", headers=read_key | CSV)).text
    )
    assert {row["full_name"] for row in by_name} == {f"'{name}" for name in FORMULAS}
    per_day = table(
        (
            await client.get(
                "/v1/metrics/transactions?bucket=day&from=2025-03-01&to=2025-03-02", headers=read_key | CSV
            )
        ).text
    )
    assert [row["total"] for row in per_day] == ["20.00", "-12.50"]
    written = await client.post(
        "/v1/accounts",
        json={"email": "w@example.com", "full_name": "@written", "country": "DE"},
        headers=write_key | CSV | {"Prefer": "return=representation"},
    )
    assert table(written.text)[0]["full_name"] == "'@written"


async def test_a_header_cell_named_by_an_alias_that_starts_a_formula_is_quoted_too(
    client: Any, read_key: dict[str, str], accounts: Any
) -> None:
    asked = "select==1%2B2:email,%40SUM(A1):id,plain:plan&limit=1"
    header = (await client.get(f"/v1/accounts?{asked}", headers=read_key | CSV)).text.splitlines()[0]
    assert next(csv.reader([header])) == ["'=1+2", "'@SUM(A1)", "plain"]
