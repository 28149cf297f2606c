"""docker-compose.yml cannot run here (no Docker), so its structure is checked instead."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_commands_and_the_order_they_start_in():
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "sidecar", "jupyter"}
    assert services["migrate"]["command"] == ["sh", "-c", "queaccount db upgrade && queaccount db roles"]
    assert services["sidecar"]["command"][:2] == ["queaccount", "serve"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["sidecar"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["jupyter"]["profiles"] == ["notebook"]


def test_postgres_is_health_checked_and_keeps_its_data_in_a_volume():
    document = compose()
    postgres = document["services"]["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in document["volumes"]


def test_every_app_service_is_built_from_the_one_dockerfile_and_configured_by_environment():
    services = compose()["services"]
    for name in ("migrate", "sidecar", "jupyter"):
        service = services[name]
        assert service["build"] in (".", {"context": ".", "args": {"EXTRAS": "notebook"}})
        for role, setting in (("writer", "WRITE"), ("reader", "READ")):
            url = service["environment"][f"QUEACCOUNT_{setting}_DATABASE_URL"]
            assert url.startswith(f"postgresql://queaccount_{role}:") and "@postgres:5432/" in url


def test_the_sidecar_never_gets_the_owners_url_and_the_migration_sets_up_the_roles():
    services = compose()["services"]
    assert "QUEACCOUNT_DATABASE_URL" not in services["sidecar"]["environment"]
    for name in ("migrate", "jupyter"):
        assert "@postgres:5432/" in services[name]["environment"]["QUEACCOUNT_DATABASE_URL"]
    assert (ROOT / "Dockerfile").read_text().count("FROM ") == 1
