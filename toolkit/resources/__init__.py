"""Resources: how each model reaches both faces, declared once in a module of this package.

A module here holds `RESOURCE = Resource(...)`: the model's repository and service, its HTTP path and
what its rows allow. The container registers the repository and the service of every resource found
here, the notebook gives each a table (`qa.table(NoteRepository)`, `qa.notes`), and the sidecar gives
each its `/v1/<path>` routes. Adding a model is one such module (see "Adding a model" in the README).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Literal

from msgspec import Struct
from sqlalchemy import MetaData, Table

from toolkit.frames.validate import FrameSpec, derived_spec
from toolkit.mixins.crud import CRUDMixin

Removal = Literal["delete", "close", "never"]


@dataclass(frozen=True)
class Resource:
    """One model as both faces show it.

    - `path`: `/v1/<path>` over HTTP and `qa.<path>` in a notebook.
    - `create` / `update`: the Structs writers give; None when rows are never created (the audit log) or
      never changed (the ledger: append-only).
    - `read_only`: columns readers see but writers may not set (besides the id); `version`: the column that
      makes changes conditional (ETag, `If-Match`, frames' conflict check), or None: frames then re-check the
      values read at `diff()` time.
    - `removal`: rows are deleted, closed (the service's `close()`), or never removed.
    - `natural_keys`: columns (one or several) that name a row as people do, besides its id; each is unique.
    - `rules`: the frame rules (normalising, defaults, vectorised checks), when more than the model's own
      types and constraints; the model's service may add checks with a `check(frame)` method instead.
    - `read_key_hides`: rows a read-only API key never sees, by column and values (`{"entity": ("sql",)}`),
      in lists, counts and single-row reads alike.

    The model's service is used for every write: its `create_many`, `update`, `delete`, `close` and
    `insert_frame` where it has them, else the generic, audited ones of `toolkit.services.rows`, which apply
    its rules.
    """

    path: str
    repository: type[CRUDMixin[Any, Any, Any]]
    service: type[Any]
    create: type[Struct] | None = None
    update: type[Struct] | None = None
    read_only: tuple[str, ...] = ()
    version: str | None = None
    removal: Removal = "never"
    natural_keys: tuple[tuple[str, ...], ...] = ()
    rules: FrameSpec | None = field(default=None, repr=False)
    read_key_hides: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The singular the messages and the audit log use (`account`, `note`)."""
        return self.repository.name

    @property
    def table(self) -> Table:
        return self.repository.model_table()

    @property
    def entity(self) -> type[Any]:
        return self.repository.entity

    @property
    def attribute(self) -> str:
        return self.path.replace("-", "_")

    @functools.cached_property
    def spec(self) -> FrameSpec:
        """What a frame of this resource may hold (the declared rules, or derived from the model)."""
        if self.rules is not None:
            return self.rules
        check = getattr(self.service, "check", None)
        checks = () if check is None else (check,)
        return derived_spec(self.table, self.read_only, self.version, checks, self.natural_keys)

    @property
    def append_only(self) -> bool:
        return self.create is not None and self.update is None

    def allows(self, operation: str) -> bool:
        """Whether rows may be created, updated, deleted or closed (`operation`)."""
        return {
            "create": self.create is not None,
            "update": self.update is not None,
            "delete": self.removal == "delete",
            "close": self.removal == "close",
        }[operation]


@functools.cache
def registered() -> tuple[Resource, ...]:
    """Every resource of this package, in module-name order (importing each also registers its model)."""
    found = []
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
        resource = getattr(importlib.import_module(f"{__name__}.{module}"), "RESOURCE", None)
        if not isinstance(resource, Resource):
            raise TypeError(f"{__name__}.{module} must define RESOURCE = Resource(...)")
        found.append(resource)
    paths = [r.path for r in found]
    if len(set(paths)) != len(paths):
        raise ValueError(f"two resources share a path: {sorted(paths)}")
    return tuple(found)


def metadata() -> MetaData:
    """Every model's tables, the resources' included (what migrations, grants and the diagram read)."""
    from toolkit.models import Base

    registered()
    return Base.metadata


def of(repository: type[Any]) -> Resource | None:
    """The resource whose repository is `repository` (or a subclass of it), if one is registered."""
    return next((r for r in registered() if issubclass(r.repository, repository)), None)


def at(path: str) -> Resource | None:
    """The resource served at `/v1/<path>` (`qa.<path>`)."""
    return next((r for r in registered() if path in (r.path, r.attribute)), None)


__all__ = ["Removal", "Resource", "at", "metadata", "of", "registered"]
