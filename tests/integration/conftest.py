from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from toolkit.services import AccountService, AuditService, TransactionService

T = TypeVar("T")
ACTOR = "test:alice"


class Scoped:
    """Runs each call in its own container scope, as the notebook and HTTP faces do."""

    def __init__(self, container: Any) -> None:
        self.container = container

    async def __call__(self, service: type[T], call: Callable[[T], Any]) -> Any:
        async with self.container.enter_scope() as scope:
            return await call(await scope.get(service))


@pytest.fixture
async def run(container: Any, database_url: Any) -> Scoped:
    return Scoped(container)


@pytest.fixture
async def new_account(run: Scoped) -> Callable[..., Any]:
    counter = iter(range(1, 1_000_000))

    async def make(**fields: Any) -> Any:
        data = {"email": f"user{next(counter)}@example.com", "full_name": "Ada Lovelace", "country": "GB"}
        data |= fields
        return await run(AccountService, lambda s: s.create(data, actor=ACTOR))

    return make


__all__ = ["ACTOR", "AccountService", "AuditService", "Scoped", "TransactionService"]


@pytest.fixture
def seeded(qa: Any) -> Any:
    """Five accounts, some money on them."""
    import pandas as pd

    qa.accounts.insert_frame(
        pd.DataFrame(
            {
                "email": [f"user{i}@example.com" for i in range(5)],
                "full_name": ["Ada", "Bo", "Cy", "Di", "Ed"],
                "country": ["DE", "DE", "FR", "GB", "US"],
                "plan": ["free", "pro", "business", "pro", "free"],
            }
        )
    )
    for account_id in range(1, 6):
        qa.transactions.post(account_id, "deposit", f"{account_id * 100}.25")
    return qa
