"""brotli or gzip when asked and worth it, on the Litestar routes and the shortcut alike; HEAD on GETs."""

from __future__ import annotations

import pytest

from sidecar.compression import coding_for


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("gzip", b"gzip"),
        ("br", b"br"),
        ("gzip, deflate, br, zstd", b"br"),  # what browsers send
        ("br;q=0.5, gzip", b"gzip"),
        ("br, gzip;q=0.5", b"br"),
        ("br;q=0, gzip;q=0.1", b"gzip"),
        ("gzip;q=0", None),
        ("*", b"br"),
        ("*, br;q=0", b"gzip"),
        ("identity", None),
        ("*, gzip;q=0, br;q=0", None),
        ("gzip;q=x", None),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(header, coding):
    assert coding_for(header.encode()) == coding


@pytest.mark.parametrize("url", ["/v1/accounts", "/v1/accounts?order=id.desc&limit=10"])
async def test_a_client_taking_brotli_gets_it_on_the_route_and_the_shortcut_alike(
    client, read_key, accounts, url
):
    plain = await client.get(url, headers=read_key | {"Accept-Encoding": "identity"})
    answers = [await client.get(url, headers=read_key | {"Accept-Encoding": "gzip, br"}) for _ in range(2)]
    for answer in answers:  # the first may go through Litestar's route, the second is the shortcut's
        assert answer.headers["content-encoding"] == "br" and answer.headers["vary"] == "Accept-Encoding"
        assert answer.json() == plain.json()  # httpx decodes it (brotli is installed)
        assert int(answer.headers["content-length"]) < len(plain.content)
    preferred = await client.get(url, headers=read_key | {"Accept-Encoding": "br;q=0.5, gzip"})
    assert preferred.headers["content-encoding"] == "gzip" and preferred.json() == plain.json()


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
    names = ("content-length", "content-type", "etag", "content-range")
    for url in ["/v1/accounts?order=id", f"/v1/accounts/{accounts[0]['id']}", "/v1/audit", "/health/live"]:
        # A list's ETag follows the server's snapshot, which any commit anywhere on the server moves (other
        # test databases share it): compare HEAD with a GET just before it, taken when a GET after agrees.
        for _ in range(5):
            got = await client.get(url, headers=read_key)
            head = await client.head(url, headers=read_key)
            again = await client.get(url, headers=read_key)
            if got.headers.get("etag") == again.headers.get("etag"):
                break
        assert head.status_code == got.status_code == 200 and head.content == b""
        for name in names:
            assert head.headers.get(name) == got.headers.get(name), (url, name)
    assert (await client.head("/v1/accounts")).status_code == 401
