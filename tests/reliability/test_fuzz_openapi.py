"""Fuzz every operation of the sidecar from its own OpenAPI document: no 5xx, whatever the input."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from sidecar import create_app
from tests.reliability.test_concurrency import record
from tests.reliability.test_hostile_queries import read_key
from toolkit.settings import Settings

EXAMPLES = 40


def test_no_operation_of_the_openapi_document_answers_5xx(settings: Settings, database_url: Any) -> None:
    auth = {"Authorization": f"Bearer {read_key(settings, scope='write')}"}  # a write key may also read
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(settings))
    seen: dict[str, int] = {}
    failures: list[str] = []
    nonconforming: list[str] = []

    def fuzz(operation: Any) -> None:
        label = f"{operation.method.upper()} {operation.path}"

        @hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def one(case: Any) -> None:
            response = case.call(headers=auth)
            seen[label] = seen.get(label, 0) + 1
            if response.status_code >= 500:
                failures.append(
                    f"{label} {case.query} {case.body!r}: {response.status_code} {response.text[:200]}"
                )

        one()

    for result in schema.get_all_operations():
        fuzz(result.ok())
    assert failures == []
    assert sorted(set(nonconforming)) == []
    assert len(seen) >= 10, seen  # every operation was exercised
    record("fuzz", {"operations": len(seen), "cases": sum(seen.values()), "5xx": len(failures)})
