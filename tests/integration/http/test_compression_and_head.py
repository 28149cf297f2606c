"""gzip when asked and worth it, on the Litestar routes and the row shortcut alike; HEAD on every GET."""

from __future__ import annotations

import pytest

from sidecar.compression import takes_gzip


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip", True),
        ("br, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("*", True),
        ("identity", False),
        ("*, gzip;q=0", False),
        ("gzip;q=x", False),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(header, takes):
    assert takes_gzip(header.encode()) is takes


async def test_a_large_list_is_gzipped_only_for_clients_that_ask(client, read_key, accounts):
    plain = await client.get("/v1/accounts", headers=read_key | {"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and "vary" not in plain.headers
    zipped = await client.get("/v1/accounts", headers=read_key | {"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) < len(plain.content)
    assert zipped.json() == plain.json()  # httpx decodes it
    csv = await client.get(
        "/v1/accounts", headers=read_key | {"Accept": "text/csv", "Accept-Encoding": "gzip"}
    )
    assert csv.headers["content-encoding"] == "gzip" and csv.text.startswith("id,")


async def test_small_answers_and_the_row_shortcut_stay_plain_and_correct(client, read_key, accounts):
    url = f"/v1/accounts/{accounts[0]['id']}"
    one = await client.get(url, headers=read_key | {"Accept-Encoding": "gzip"})
    assert one.status_code == 200 and "content-encoding" not in one.headers
    assert one.json()["email"] == "ada@example.com" and one.headers["vary"] == "Accept-Encoding"
    raw = await client.get("/v1/accounts?select=id&limit=1", headers=read_key | {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in raw.headers


async def test_head_answers_the_get_headers_without_a_body(client, read_key, accounts):
    for url in ["/v1/accounts?order=id", f"/v1/accounts/{accounts[0]['id']}", "/v1/audit", "/health/live"]:
        got = await client.get(url, headers=read_key)
        head = await client.head(url, headers=read_key)
        assert head.status_code == got.status_code == 200 and head.content == b""
        for name in ("content-length", "content-type", "etag", "content-range"):
            assert head.headers.get(name) == got.headers.get(name), (url, name)
    assert (await client.head("/v1/accounts")).status_code == 401
