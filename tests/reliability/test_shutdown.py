"""Graceful shutdown: requests in flight when SIGTERM arrives are answered, then the pool closes."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import psycopg

from tests.conftest import libpq
from tests.e2e.test_serve import Server
from tests.reliability.test_hostile_queries import read_key


def test_sigterm_lets_in_flight_requests_finish_then_closes_the_pool(settings, database_url):
    with psycopg.connect(libpq(database_url)) as conn:
        conn.execute(
            "insert into accounts (email, full_name, country)"
            " select 'sd' || i || '@example.com', 'Shut Down', 'DE' from generate_series(1, 20000) i"
        )
    headers = {"Authorization": f"Bearer {read_key(settings)}"}
    server = Server(database_url)
    server.wait_until_ready()
    answers: list[int | str] = []

    def ask() -> None:
        try:
            response = httpx.get(
                f"{server.base}/v1/metrics/accounts?group_by=country,status,plan", headers=headers, timeout=30
            )
            answers.append(response.status_code)
        except httpx.HTTPError as error:
            answers.append(type(error).__name__)

    clients = [threading.Thread(target=ask) for _ in range(8)]
    for client in clients:
        client.start()
    in_flight = 0
    with psycopg.connect(libpq(database_url), autocommit=True) as admin:
        deadline = time.monotonic() + 20
        while not in_flight and time.monotonic() < deadline:
            in_flight = admin.execute(
                "select count(*) from pg_stat_activity where state = 'active' and pid <> pg_backend_pid()"
                " and query ilike '%group by%'"
            ).fetchone()[0]
    server.process.send_signal(signal.SIGTERM)  # while the database is working on `in_flight` requests
    for client in clients:
        client.join(timeout=30)
    log = server.stop()
    assert server.process.returncode in (0, 128 + signal.SIGTERM)  # the conventional exit status for SIGTERM
    assert in_flight >= 1
    assert answers.count(200) >= in_flight, answers  # every request being served was answered in full
    assert not [a for a in answers if isinstance(a, int) and a != 200], answers
    assert "database pool closed" in log and "Traceback" not in log
