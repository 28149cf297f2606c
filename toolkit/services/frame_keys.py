"""What diff(df, key=...) adds to the id path: the key checked against the resource's declared ones, the
versions of rows it matched, and the refusal of rows that match none when `insert=False`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from toolkit.errors import Issue, ValidationFailed
from toolkit.frames.validate import FrameSpec, Issues

if TYPE_CHECKING:
    from toolkit.resources import Resource


def natural_key(resource: Resource, key: str | Sequence[str]) -> tuple[str, ...]:
    """`key` as one of the resource's declared natural keys (in the declared order), or a toolkit error
    that lists them."""
    names = (key,) if isinstance(key, str) else tuple(key)
    declared = next((k for k in resource.natural_keys if sorted(k) == sorted(names)), None)
    if declared is not None:
        return declared
    shown = ", ".join(repr(k[0]) if len(k) == 1 else repr(k) for k in resource.natural_keys)
    given = repr(names[0]) if len(names) == 1 else repr(names)
    reason = f"{given} is not a natural key of {resource.name} rows: " + (
        f"the declared ones are {shown}" if shown else "it declares none (natural_keys in its Resource)"
    )
    raise ValidationFailed(Issue(None, "key", reason))


def versions_read(clean: pd.DataFrame, current: pd.DataFrame, spec: FrameSpec) -> pd.DataFrame:
    """Rows of a frame matched by key that carry no version are checked against the version diff() read:
    apply() then updates them only if nobody changed them since."""
    version = spec.version
    if version is None or not len(current):
        return clean
    read_now = clean[spec.key].map(current.set_index(spec.key)[version]).astype("Int64")
    given = clean[version] if version in clean else pd.Series(pd.NA, index=clean.index, dtype="Int64")
    return clean.assign(**{version: given.fillna(read_now)})


def refuse_new(resource: Resource, rows: pd.DataFrame, key: tuple[str, ...] | None, issues: Issues) -> None:
    """insert=False: rows that name no existing row are refused, naming each."""
    said = "insert=False: rows that match none are refused, not inserted"
    if key is None:
        issues.add(rows.index, resource.spec.key, f"has no id ({said})")
        return
    shown = key[0] if len(key) == 1 else f"({', '.join(key)})"
    empty = rows[list(key)].isna().any(axis=1)
    issues.where(empty, key[-1], f"has no {shown} to match by ({said})")
    issues.where(~empty, key[-1], f"no {resource.name} has this {shown} ({said})")
