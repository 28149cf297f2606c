from __future__ import annotations

import time

from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

from sidecar import create_app
from toolkit.settings import Settings


async def test_the_openapi_document_is_valid_3_1_and_hides_injected_parameters(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert "/v1/accounts/{account_id}" in document["paths"]
    parameters = str(document["paths"]["/v1/accounts"])
    assert "uow" not in parameters and "settings" not in parameters and "AccountRepository" not in parameters
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_docs_page_and_health_need_no_key(client, database_url):
    assert (await client.get("/schema")).status_code == 200
    assert (await client.get("/health/live")).json() == {"status": "live"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_a_database_that_is_down_gives_503_with_retry_after_quickly(tmp_path):
    settings = Settings.coerce(
        database_url="postgresql://qa@127.0.0.1:9/qa", home=tmp_path, connect_timeout_s=1
    )
    async with AsyncTestClient(app=create_app(settings)) as down:
        started = time.monotonic()
        response = await down.get("/v1/accounts", headers={"Authorization": "Bearer qa_anything"})
        assert response.status_code == 503 and response.headers["retry-after"]
        assert response.json()["code"] == "PGRST000" and "Traceback" not in response.text
        ready = await down.get("/health/ready")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        assert time.monotonic() - started < 10


async def test_pages_for_people_say_once_that_they_are_utf8_html(client):
    for path in ("/schema", "/schema/swagger", "/schema/redoc", "/dashboard"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/html; charset=utf-8", path


async def test_the_dashboard_is_html_with_one_charset_and_no_other_host(client):
    page = await client.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text
