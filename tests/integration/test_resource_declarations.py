"""What a resource's declaration does not allow is refused in both faces, with a message; nothing written."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import ChangeRefused, DeleteRefused, NotAResource
from toolkit.repositories import ApiKeyRepository


def test_the_notebook_refuses_what_each_built_in_resource_does_not_allow(seeded):
    audited = len(seeded.audit.frame())
    with pytest.raises(DeleteRefused, match="close them instead"):
        seeded.accounts.delete(1)
    with pytest.raises(ChangeRefused, match="append-only"):
        seeded.transactions.update(1, description="changed")
    with pytest.raises(ChangeRefused, match="append-only"):
        seeded.transactions.diff(seeded.transactions.frame())
    with pytest.raises(DeleteRefused):
        seeded.transactions.delete(1)
    with pytest.raises(ChangeRefused, match="written by the toolkit's services only"):
        seeded.audit.create(actor="me", action="create", entity="account", entity_id=1, changes={})
    with pytest.raises(ChangeRefused, match="written by the toolkit's services only"):
        seeded.audit.insert_frame(pd.DataFrame({"actor": ["me"]}))
    assert len(seeded.audit.frame()) == audited
    assert seeded.accounts.get(1).status == "active"


def test_a_repository_without_a_resource_is_read_only_in_a_notebook(qa):
    keys = qa.table(ApiKeyRepository)
    assert list(keys.frame(columns=["id", "name"]).columns) == ["id", "name"]
    with pytest.raises(NotAResource, match="only frame"):
        keys.create(name="sneaky", scope="write")


def test_resources_are_tables_by_their_path(qa):
    assert qa.transactions.frame().empty and {"accounts", "transactions", "audit"} <= set(dir(qa))
    with pytest.raises(AttributeError, match="no resource 'nonsense'"):
        qa.nonsense  # noqa: B018
