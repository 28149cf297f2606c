"""Two `queaccount serve` hosts on one primary and its streaming hot standby (toolkit/cluster.py: the embedded
wheel's initdb, pg_basebackup -R and pg_ctl), over real HTTP on loopback, with haproxy in front as
deploy/haproxy.cfg configures it (benchmarks/http/replicas.py runs it with loopback addresses)."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from benchmarks.http.replicas import haproxy
from sidecar.cli import in_scope
from tests.e2e.test_serve import Server
from toolkit.cluster import LocalCluster
from toolkit.roles import READER, WRITER
from toolkit.services import ApiKeyService
from toolkit.settings import Settings

pytestmark = pytest.mark.replicas


class Hosts:
    def __init__(self, cluster: LocalCluster) -> None:
        self.cluster = cluster
        self.settings = Settings.load(
            env_file=None,
            database_url=cluster.url("primary"),
            write_database_url=cluster.url("primary", WRITER),
            read_database_url=[cluster.url("standby", READER)],
        )
        env = {**os.environ, "QUEACCOUNT_READ_DATABASE_URL": str(cluster.url("standby", READER))}
        self.a = Server(cluster.url("primary"), env={**env, "QUEACCOUNT_DRAIN_S": "3"})
        self.b = Server(cluster.url("primary"), env=env)
        self.writer = self.key("writer", "write")
        self.reader = self.key("reader", "read")
        self.balancer = ""  # haproxy's base URL

    def keys(self, fn: Callable[[ApiKeyService], Awaitable[Any]]) -> Any:
        return in_scope(self.settings, ApiKeyService, fn)

    def key(self, name: str, scope: str) -> dict[str, str]:
        _, secret = self.keys(lambda keys: keys.create(name, scope, actor="test"))
        return {"Authorization": f"Bearer {secret}"}

    def primary(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.cluster.conninfo("primary"), autocommit=True) as conn:
            return conn.execute(statement, params).fetchall()  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def hosts() -> Iterator[Hosts]:
    with LocalCluster() as cluster:
        made = Hosts(cluster)
        try:
            made.a.wait_until_ready()
            made.b.wait_until_ready()
            backends = [host.base.removeprefix("http://") for host in (made.a, made.b)]
            with haproxy(backends, Path(tempfile.mkdtemp()) / "haproxy.log") as made.balancer:
                yield made
        finally:
            made.a.stop()
            made.b.stop()


def until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll `check()` until it returns something true, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {seconds} s")
        time.sleep(0.02)


def create(host: Server, hosts: Hosts, email: str) -> int:
    created = httpx.post(
        f"{host.base}/v1/accounts",
        json={"email": email, "full_name": "Replica Reader", "country": "NL"},
        headers={**hosts.writer, "Prefer": "return=representation"},
    )
    assert created.status_code == 201, created.text
    return int(created.json()[0]["id"])


def test_reads_come_from_the_standby_and_a_stale_etag_from_it_is_refused_by_a_patch(hosts):
    account = create(hosts.a, hosts, "standby@example.com")
    hosts.cluster.wait_replayed()
    seen = httpx.get(f"{hosts.b.base}/v1/accounts/{account}", headers=hosts.reader)
    assert seen.status_code == 200 and seen.headers["x-read-from"] == "standby"
    assert float(seen.headers["x-replica-lag"]) >= 0 and seen.headers["etag"] == '"1"'
    on_standby = hosts.cluster.sql(
        "standby", f"select count(*) from pg_stat_activity where usename = '{READER}' and pg_is_in_recovery()"
    )
    assert on_standby[0][0] >= 1
    listed = httpx.get(f"{hosts.b.base}/v1/accounts?id=eq.{account}", headers=hosts.reader)
    again = httpx.get(
        f"{hosts.b.base}/v1/accounts?id=eq.{account}",
        headers={**hosts.reader, "If-None-Match": listed.headers["etag"]},
    )
    assert again.status_code == 304 and again.headers["x-read-from"] == "standby"

    hosts.cluster.sql("standby", "select pg_wal_replay_pause()")
    try:
        changed = httpx.patch(
            f"{hosts.a.base}/v1/accounts/{account}",
            json={"full_name": "First Change"},
            headers={**hosts.writer, "If-Match": '"1"'},
        )
        assert changed.status_code == 204 and changed.headers["etag"] == '"2"'
        stale = httpx.get(f"{hosts.b.base}/v1/accounts/{account}", headers=hosts.reader)
        assert stale.json()["full_name"] == "Replica Reader" and stale.headers["etag"] == '"1"'
        lost = httpx.patch(
            f"{hosts.b.base}/v1/accounts/{account}",
            json={"full_name": "Lost Update"},
            headers={**hosts.writer, "If-Match": stale.headers["etag"]},
        )
        assert lost.status_code == 412
    finally:
        hosts.cluster.sql("standby", "select pg_wal_replay_resume()")
    assert hosts.primary("select full_name, version from accounts where id = %s", account) == [
        ("First Change", 2)
    ]

    def replayed() -> bool:
        got = httpx.get(f"{hosts.b.base}/v1/accounts/{account}", headers=hosts.reader)
        return got.json()["full_name"] == "First Change" and got.headers["etag"] == '"2"'

    until(replayed, 10, "host B showing host A's change")
    for host in (hosts.a, hosts.b):
        ready = httpx.get(f"{host.base}/health/ready").json()
        assert ready["status"] == "ready" and ready["replicas"]["reads_from"] == "standby"
        assert ready["replicas"]["lag_bytes"] >= 0 and ready["replicas"]["lag_s"] >= 0


def test_a_key_revoked_through_one_host_is_refused_by_both_within_a_second(hosts):
    key = hosts.key("short-lived", "read")
    for host in (hosts.a, hosts.b):  # both now hold the key in their caches
        assert httpx.get(f"{host.base}/v1/accounts?limit=1", headers=key).status_code == 200
    hosts.keys(lambda keys: keys.revoke("short-lived", actor="test"))  # as host A's process would
    for host in (hosts.a, hosts.b):
        until(
            lambda h=host: httpx.get(f"{h.base}/v1/accounts?limit=1", headers=key).status_code == 401,
            1.0,
            f"the revoked key refused by {host.base}",
        )


def test_a_notebook_reads_frames_on_the_standby_only_when_asked(hosts):
    import toolkit

    with (
        toolkit.connect(settings=hosts.settings, progress=False, actor="nb") as primary,
        toolkit.connect(settings=hosts.settings, progress=False, read_from="replica") as replica,
    ):
        before = replica.accounts.frame(order_by="id")
        hosts.cluster.sql("standby", "select pg_wal_replay_pause()")
        try:
            primary.accounts.create(email="notebook@example.com", full_name="Note Book", country="DE")
            assert "notebook@example.com" in set(primary.accounts.frame()["email"])
            assert replica.accounts.frame(order_by="id").equals(before)  # read on the paused standby
        finally:
            hosts.cluster.sql("standby", "select pg_wal_replay_resume()")
        hosts.cluster.wait_replayed()
        assert replica.accounts.frame(order_by="id").equals(primary.accounts.frame(order_by="id"))


def test_with_the_standby_stopped_reads_go_to_the_primary_writes_go_on_and_nothing_is_lost(hosts):
    listed = httpx.get(f"{hosts.b.base}/v1/accounts?order=id", headers=hosts.reader)
    assert listed.headers["x-read-from"] == "standby"
    hosts.cluster.stop_server("standby")
    try:
        again = httpx.get(
            f"{hosts.b.base}/v1/accounts?order=id",
            headers={**hosts.reader, "If-None-Match": listed.headers["etag"]},
        )
        # The same rows, but a standby's tag is never vouched for by the primary: a full answer.
        assert again.status_code == 200 and again.headers["x-read-from"] == "primary"
        assert again.json() == listed.json() and again.headers["etag"] != listed.headers["etag"]
        ids = [create((hosts.a, hosts.b)[i % 2], hosts, f"outage{i}@example.com") for i in range(20)]
        for host in (hosts.a, hosts.b):
            seen = httpx.get(f"{host.base}/v1/accounts?email=like.outage*&order=id", headers=hosts.reader)
            assert seen.headers["x-read-from"] == "primary" and "x-replica-lag" not in seen.headers
            assert [row["id"] for row in seen.json()] == sorted(ids)
            ready = httpx.get(f"{host.base}/health/ready")
            assert ready.status_code == 200 and ready.json()["replicas"]["reads_from"] == "primary"
    finally:
        hosts.cluster.start_server("standby")
    assert len(set(ids)) == 20
    assert hosts.primary("select count(*) from accounts where email like 'outage%%'") == [(20,)]
    audited = "select count(*) from audit_log where action = 'create'"
    audited += " and entity = 'account' and entity_id = any(%s)"
    assert hosts.primary(audited, ids) == [(20,)]

    def back_on_the_standby() -> bool:
        got = httpx.get(f"{hosts.b.base}/v1/accounts?email=like.outage*", headers=hosts.reader)
        return got.headers["x-read-from"] == "standby" and len(got.json()) == 20

    until(back_on_the_standby, 20, "reads back on the restarted standby")


def test_a_host_stopping_behind_the_balancer_drains_and_no_request_fails(hosts):
    url = f"{hosts.balancer}/v1/accounts?limit=1"
    until(lambda: httpx.get(url, headers=hosts.reader).status_code == 200, 10, "haproxy answering")
    answers: list[int | str] = []
    stopping = threading.Event()

    def poll() -> None:
        while not stopping.is_set():
            try:
                answers.append(httpx.get(url, headers=hosts.reader, timeout=10).status_code)
            except httpx.HTTPError as error:
                answers.append(type(error).__name__)

    client = threading.Thread(target=poll)
    client.start()
    try:
        hosts.a.process.send_signal(signal.SIGTERM)
        draining = until(
            lambda: (r := httpx.get(f"{hosts.a.base}/health/ready")).status_code == 503 and r,
            2,
            "503 at SIGTERM",
        )
        assert "draining" in draining.json()["reason"]
        assert httpx.get(f"{hosts.a.base}/v1/accounts?limit=1", headers=hosts.reader).status_code == 200
        hosts.a.process.wait(timeout=20)
        served_after = len(answers)
        until(lambda: len(answers) > served_after + 5, 10, "answers after host A stopped")
    finally:
        stopping.set()
        client.join(timeout=15)
    assert answers and set(answers) == {200}, answers  # every request answered, by A while it drained, then B
    assert "database pool closed" in hosts.a.stop()
