"""Secrets stay secret: neither an API key nor the database password appears in logs, bodies or reprs."""

from __future__ import annotations

import httpx

from tests.conftest import url_with_password
from tests.e2e.test_serve import Server
from tests.reliability.test_hostile_queries import read_key
from toolkit.settings import Settings

PASSWORD = "db-pa55-never-shown"


def test_key_and_database_password_never_leave_the_server(database_url, tmp_path):
    url = url_with_password(
        database_url, PASSWORD
    )  # the embedded server trusts local users: it still connects
    settings = Settings(database_url=url, home=tmp_path)
    writer, reader = read_key(settings, scope="write"), read_key(settings, scope="read")
    server = Server(url)
    bodies: list[str] = []
    try:
        server.wait_until_ready()
        with httpx.Client(base_url=server.base, timeout=10) as http:
            calls = [
                ("GET", "/v1/accounts?limit=2", reader, None),
                ("GET", "/v1/accounts?nosuch=eq.1", reader, None),
                (
                    "POST",
                    "/v1/accounts",
                    reader,
                    {"email": "s@example.com", "full_name": "S", "country": "DE"},
                ),
                ("POST", "/v1/accounts", writer, {"email": "bad", "full_name": "S", "country": "DE"}),
                (
                    "POST",
                    "/v1/accounts",
                    writer,
                    {"email": "s@example.com", "full_name": "S", "country": "DE"},
                ),
                ("GET", "/v1/accounts", f"{writer}x", None),
                ("GET", "/health/ready", None, None),
                ("GET", "/schema/openapi.json", None, None),
            ]
            for method, path, key, body in calls:
                headers = {"Authorization": f"Bearer {key}"} if key else {}
                response = http.request(method, path, json=body, headers=headers)
                assert response.status_code < 500, (path, response.text)
                bodies.append(response.text + str(dict(response.headers)))
    finally:
        log = server.stop()
    seen = log + "".join(bodies)
    for secret in (PASSWORD, writer, reader):
        assert secret not in seen
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
    assert "POST /v1/accounts 403" in log and "POST /v1/accounts 201" in log  # the log is there, and useful
