"""docker-compose.yml cannot run here (no Docker), so its structure is checked instead."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ("sidecar-a", "sidecar-b")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def haproxy() -> str:
    return (ROOT / "deploy" / "haproxy.cfg").read_text()


def test_services_commands_and_the_order_they_start_in():
    services = compose()["services"]
    assert set(services) == {"postgres", "postgres-standby", "migrate", *HOSTS, "loadbalancer", "jupyter"}
    assert services["migrate"]["command"] == ["sh", "-c", "queaccount db upgrade && queaccount db roles"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in HOSTS:
        assert services[name]["command"][:2] == ["queaccount", "serve"]
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        # A standby that is down only moves reads to the primary: it must not keep the hosts from starting.
        assert services[name]["depends_on"]["postgres-standby"]["condition"] == "service_started"
    assert services["jupyter"]["profiles"] == ["notebook"]


def test_postgres_and_its_standby_are_health_checked_and_keep_their_data_in_volumes():
    document = compose()
    for name in ("postgres", "postgres-standby"):
        service = document["services"][name]
        assert "pg_isready" in " ".join(service["healthcheck"]["test"])
        volume = service["volumes"][0].split(":")[0]
        assert volume in document["volumes"]
    assert (
        document["services"]["postgres"]["volumes"][0]
        != document["services"]["postgres-standby"]["volumes"][0]
    )


def test_the_standby_is_cloned_from_the_primary_and_streams_as_the_replication_role_only():
    services = compose()["services"]
    standby = services["postgres-standby"]
    script = " ".join(standby["command"])
    assert (
        "pg_basebackup -h postgres -U replicator" in script
        and " -R " in script
        and "hot_standby=on" in script
    )
    assert standby["depends_on"]["postgres"]["condition"] == "service_healthy"
    init = next(v for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v)
    setup = (ROOT / init.split(":")[0]).read_text()
    assert "CREATE ROLE replicator WITH REPLICATION LOGIN" in setup and "host replication replicator" in setup


def test_every_app_service_is_built_from_the_one_dockerfile_and_configured_by_environment():
    services = compose()["services"]
    for name in ("migrate", *HOSTS, "jupyter"):
        service = services[name]
        assert service["build"] in (".", {"context": ".", "args": {"EXTRAS": "notebook"}})
        write = service["environment"]["QUEACCOUNT_WRITE_DATABASE_URL"]
        assert write.startswith("postgresql://queaccount_writer:") and "@postgres:5432/" in write
        read = service["environment"]["QUEACCOUNT_READ_DATABASE_URL"]
        server = "postgres-standby" if name in HOSTS else "postgres"
        assert read.startswith("postgresql://queaccount_reader:") and f"@{server}:5432/" in read


def test_the_sidecars_never_get_the_owners_url_and_the_migration_sets_up_the_roles():
    services = compose()["services"]
    for name in HOSTS:
        assert "QUEACCOUNT_DATABASE_URL" not in services[name]["environment"]
    for name in ("migrate", "jupyter"):
        assert "@postgres:5432/" in services[name]["environment"]["QUEACCOUNT_DATABASE_URL"]
    assert (ROOT / "Dockerfile").read_text().count("FROM ") == 1


def test_the_load_balancer_checks_readiness_and_drops_a_draining_host_before_it_stops():
    services = compose()["services"]
    balancer = services["loadbalancer"]
    assert balancer["image"].startswith("haproxy:")
    config = balancer["volumes"][0].split(":")[0]
    assert (ROOT / config).resolve() == ROOT / "deploy" / "haproxy.cfg"
    assert balancer["ports"] == ["${SIDECAR_PORT:-8000}:8000"] and set(balancer["depends_on"]) == set(HOSTS)
    for name in HOSTS:
        assert "ports" not in services[name]  # reached through the load balancer only
    text = haproxy()
    assert re.findall(r"^\s*server (\S+) (\S+):8000$", text, re.M) == [(h, h) for h in HOSTS]
    assert "http-check send meth GET uri /health/ready" in text and "http-check expect status 200" in text
    inter = float(re.search(r"inter (\d+)s", text).group(1))
    fall = int(re.search(r"fall (\d+)", text).group(1))
    drain = float(services[HOSTS[0]]["environment"]["QUEACCOUNT_DRAIN_S"])
    assert fall * inter < drain, "a draining host must leave the rotation before it stops accepting"
    stop = int(services[HOSTS[0]]["stop_grace_period"].removesuffix("s"))
    assert stop > drain + 5  # then requests in flight finish
