"""The docs at /schema as a person opens them on a machine with no network: the page draws the API's title
and its operations from files the sidecar ships, and asks nothing of any other host."""

from __future__ import annotations

import httpx
import pytest
import yaml

from tests.e2e.browser import artifact, visit
from tests.e2e.test_serve import serving


@pytest.fixture(scope="module")
def docs_server(database_url):
    yield from serving(database_url)


@pytest.mark.parametrize("page", ["/schema", "/schema/swagger", "/schema/redoc"])
def test_the_docs_render_with_no_network(docs_server, page):
    seen = visit(docs_server.base + page, budget_ms=10_000)
    assert seen.outside == [] and seen.errors == []
    assert "QueAccount sidecar" in seen.dom
    for path in ("/v1/accounts", "/v1/transactions", "/v1/metrics/signups"):
        assert path in seen.dom, (page, path)


def test_a_screenshot_of_the_docs_shows_the_operations(docs_server):
    picture = artifact("schema.png")
    seen = visit(docs_server.base + "/schema", screenshot=picture, budget_ms=10_000, size="1280,1600")
    assert seen.outside == [] and picture.stat().st_size > 20_000  # a blank page is a few kB
    print(f"screenshot: {picture}")


def test_a_page_that_reaches_off_the_machine_is_caught():
    page = "data:text/html,<script src='https://cdn.jsdelivr.net/npm/redoc/bundles/redoc.standalone.js'></script>"
    assert visit(page, budget_ms=1000).outside == ["CONNECT cdn.jsdelivr.net:443 HTTP/1.1"]


def test_the_document_is_there_as_json_and_yaml_without_a_key(docs_server):
    as_json = httpx.get(docs_server.base + "/schema/openapi.json")
    as_yaml = httpx.get(docs_server.base + "/schema/openapi.yaml")
    assert as_json.status_code == as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.text) == as_json.json()
    assert "/v1/accounts" in as_json.json()["paths"]
