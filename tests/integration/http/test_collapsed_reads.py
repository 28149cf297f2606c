"""Many screens polling the same answers at once (their reads collapsed, toolkit/collapse.py): every answer
asked after a write committed shows it, with an ETag other than the one it had before."""

from __future__ import annotations

import asyncio
from typing import Any


async def test_every_poll_asked_after_a_write_commits_sees_it(client, accounts, read_key, write_key):
    ada = accounts[0]
    row, page = f"/v1/accounts/{ada['id']}", "/v1/accounts?plan=eq.pro&order=id.asc"
    first = await client.get(page, headers=read_key)

    def polls() -> list[Any]:
        rows = [client.get(row, headers=read_key) for _ in range(15)]
        others = [client.get(f"/v1/accounts/{a['id']}", headers=read_key) for a in accounts[1:]]
        pages = [client.get(page, headers=read_key) for _ in range(15)]
        return [asyncio.ensure_future(request) for request in (*rows, *others, *pages)]

    before = polls()
    await asyncio.sleep(0)  # the polls are under way when the write commits
    patched = await client.patch(row, json={"full_name": "Ada King"}, headers=write_key)
    assert patched.is_success, patched.text
    after = await asyncio.gather(*polls())
    assert all(r.status_code == 200 for r in await asyncio.gather(*before))
    rows, others, pages = after[:15], after[15:19], after[19:]
    assert {r.json()["full_name"] for r in rows} == {"Ada King"}
    assert {r.headers["ETag"] for r in rows} == {'"2"'}
    assert [r.json()["email"] for r in others] == [a["email"] for a in accounts[1:]]
    assert all(r.json()[0]["full_name"] == "Ada King" for r in pages)
    assert first.headers["ETag"] not in {r.headers["ETag"] for r in pages}
