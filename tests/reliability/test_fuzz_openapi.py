"""Fuzz every operation of the sidecar from its own OpenAPI document: no 5xx, whatever the input.

Schemathesis draws valid and invalid (negative mode) parameters and bodies from the document; on top of
that, each GET of a collection gets hostile filters on its columns and each JSON body a hostile value in
one of its fields (control characters, huge exponents and numbers, digits that are not ASCII: see
`hostile.py`), which the document alone would not produce."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from sidecar import create_app
from tests.reliability.hostile import COLUMNS, HOSTILE_TEXT, HUGE_EXPONENT, filters_on
from tests.reliability.test_concurrency import record
from tests.reliability.test_hostile_queries import read_key
from toolkit.settings import Settings

EXAMPLES = 60
NO_FILTERS: st.SearchStrategy[list[tuple[str, str]]] = st.just([])
HUGE_INTEGER = st.integers(min_value=10**15, max_value=10**400)  # a JSON number no column holds


def hostile_body(body: Any, field: int, value: Any) -> Any:
    """`body` with its `field`-th key (of the object, or of an array's first object) set to `value`."""
    target = body[0] if isinstance(body, list) and body else body
    if isinstance(target, dict) and target:
        target[sorted(target)[field % len(target)]] = value
    return body


def test_no_operation_of_the_openapi_document_answers_5xx(settings: Settings, database_url: Any) -> None:
    auth = {"Authorization": f"Bearer {read_key(settings, scope='write')}"}  # a write key may also read
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(settings))
    seen: dict[str, int] = {}
    failures: list[str] = []
    nonconforming: list[str] = []

    def fuzz(operation: Any) -> None:
        label = f"{operation.method.upper()} {operation.path}"
        columns = COLUMNS.get(operation.path)

        @hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
        )
        @given(
            case=st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE)),
            filters=filters_on(columns) if columns and operation.method == "get" else NO_FILTERS,
            field=st.integers(min_value=0, max_value=9),
            value=st.one_of(st.none(), HOSTILE_TEXT, HUGE_EXPONENT, HUGE_INTEGER),
        )
        def one(case: Any, filters: list[tuple[str, str]], field: int, value: Any) -> None:
            if filters:
                case.query = {**(case.query or {}), **dict(filters)}
            if value is not None:
                case.body = hostile_body(case.body, field, value)
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
