"""diff(): what writing a frame back would do, cell by cell, before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from html import escape

import pandas as pd

from toolkit.errors import Conflict, ValidationFailed
from toolkit.frames.refusals import REFUSES, conflict_list, count, refusals
from toolkit.frames.refusals import issue_list as issue_list  # where the services take it from
from toolkit.frames.validate import FrameSpec, Issues


@dataclass(frozen=True)
class Report:
    """What `Plan.apply()` wrote."""

    entity: str
    inserted: int
    updated: int
    unchanged: int
    skipped_conflicts: int = 0
    skipped_invalid: int = 0
    ids: list[int] = field(default_factory=list, repr=False)

    def __str__(self) -> str:
        return (
            f"{self.entity}: {self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged"
            f", {self.skipped_conflicts} conflicts skipped, {self.skipped_invalid} invalid rows skipped"
        )

    def table(self) -> pd.DataFrame:
        """The counts as a one-row table (what a notebook shows)."""
        counts = (self.inserted, self.updated, self.unchanged, self.skipped_conflicts, self.skipped_invalid)
        names = ("inserted", "updated", "unchanged", "conflicts skipped", "invalid rows skipped")
        return pd.DataFrame([{"entity": self.entity, **dict(zip(names, counts, strict=True))}])

    def __repr__(self) -> str:
        return self.table().to_string(index=False)

    def _repr_html_(self) -> str:
        return self.table().to_html(index=False, border=0)


@dataclass
class Plan:
    """Inserts, changed cells (old → new), unchanged rows, conflicts and invalid rows. Writes nothing.

    `plan.apply()` writes it in one transaction; any conflict or invalid row refuses the whole plan unless
    you pass `skip_conflicts=True` / `skip_invalid=True`.
    """

    entity: str
    inserts: pd.DataFrame
    unchanged: pd.Index
    conflicts: pd.DataFrame
    invalid: pd.DataFrame
    changes: pd.DataFrame = field(repr=False)
    previous: pd.DataFrame = field(repr=False)
    key: str = field(default="id", repr=False)
    applier: Callable[..., Report] | None = field(default=None, repr=False)

    @cached_property
    def updates(self) -> pd.DataFrame:
        """One row per changed cell: row, id, column, old, new (built when first looked at, not by apply)."""
        flags = [c for c in self.changes.columns if c.startswith("ch_")]
        long = [
            pd.DataFrame(
                {
                    "row": self.changes.index[mask],
                    self.key: self.changes.loc[mask, self.key].to_numpy(),
                    "column": flag[3:],
                    "old": self.previous.loc[mask, flag[3:]].astype(object).to_numpy(),
                    "new": self.changes.loc[mask, flag[3:]].astype(object).to_numpy(),
                }
            )
            for flag in flags
            if (mask := self.changes[flag].to_numpy(dtype=bool)).any()
        ]
        if not long:
            return pd.DataFrame(columns=["row", self.key, "column", "old", "new"])
        return pd.concat(long, ignore_index=True)

    @property
    def updated_rows(self) -> int:
        return len(self.changes)

    @property
    def updated_cells(self) -> int:
        flags = [c for c in self.changes.columns if c.startswith("ch_")]
        return int(self.changes[flags].to_numpy(dtype=bool).sum()) if flags else 0

    @property
    def frame_issues(self) -> pd.DataFrame:
        """Issues of the frame as a whole (an unknown column, a missing version column): while any remains,
        apply() refuses the plan, even with skip_invalid=True."""
        return self.invalid.loc[self.invalid["row"].isna()]

    @property
    def invalid_rows(self) -> int:
        return int(self.invalid["row"].nunique())

    def refusals(self) -> list[str]:
        """Every refusal apply() would give, in words: each frame issue, then the invalid rows and the
        conflicts (which `skip_invalid=True` / `skip_conflicts=True` would skip instead)."""
        return refusals(self.invalid, self.conflicts, self.key)

    def headline(self) -> str:
        frame_level = len(self.frame_issues)
        return (
            f"{self.entity} plan: {len(self.inserts)} to insert, {self.updated_rows} to update "
            f"({self.updated_cells} cells), {len(self.unchanged)} unchanged, "
            f"{count(len(self.conflicts), 'conflict')}, {count(self.invalid_rows, 'invalid row')}"
            + (f", {count(frame_level, 'frame issue')}" if frame_level else "")
        )

    def summary(self) -> str:
        """The counts, then every refusal apply() would give (none: it would write the plan)."""
        refused = self.refusals()
        return "\n  - ".join([f"{self.headline()}\n{REFUSES}", *refused]) if refused else self.headline()

    def apply(self, *, skip_conflicts: bool = False, skip_invalid: bool = False) -> Report:
        """Write inserts and updates in ONE transaction, re-checking every version."""
        if self.applier is None:
            raise RuntimeError("this plan is not bound to a connection")
        return self.applier(self, skip_conflicts=skip_conflicts, skip_invalid=skip_invalid)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        parts = [f"<p><b>{escape(self.headline())}</b> (nothing written yet: call <code>.apply()</code>)</p>"]
        if refused := self.refusals():
            items = "".join(f"<li>{escape(r)}</li>" for r in refused)
            parts.append(f"<p>{REFUSES}</p><ul>{items}</ul>")
        for title, frame in (
            ("Invalid rows and frame issues", self.invalid),
            ("Conflicts (changed in the database since you read them)", self.conflicts),
            ("Changed cells", self.updates),
            ("Inserts", self.inserts),
        ):
            if len(frame):
                parts.append(f"<h4>{title}</h4>{frame.head(50).to_html()}")
                if len(frame) > 50:
                    parts.append(f"<p>… and {len(frame) - 50} more</p>")
        return "".join(parts)


def same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Cell-wise equality where NA equals NA (categoricals compared by value)."""
    if isinstance(a.dtype, pd.CategoricalDtype) and a.dtype == b.dtype:
        return pd.Series(a.cat.codes.to_numpy() == b.cat.codes.to_numpy(), index=a.index)
    if isinstance(a.dtype, pd.CategoricalDtype) or isinstance(b.dtype, pd.CategoricalDtype):
        a, b = a.astype("string"), b.astype("string")
    both_na = a.isna().to_numpy() & b.isna().to_numpy()
    equal = (a == b).fillna(False).to_numpy(dtype=bool)
    return pd.Series(equal | both_na, index=a.index)


def make_plan(
    entity: str, clean: pd.DataFrame, current: pd.DataFrame, spec: FrameSpec, issues: Issues
) -> Plan:
    """Compare a checked frame with the database's rows for the same ids (`current`, indexed by id)."""
    key = spec.key
    if key not in clean.columns:
        clean = clean.assign(**{key: pd.Series(pd.NA, index=clean.index, dtype="Int64")})
    is_new = clean[key].isna()
    inserts = clean.loc[is_new, [c for c in spec.editable if c in clean.columns]]
    existing = clean.loc[~is_new]
    version = spec.version
    if len(existing) and version is not None and version not in clean.columns:
        issues.add([None], version, "needed to update rows safely: read the frame with frame() to get it")
    duplicated = existing[key].duplicated(keep=False)
    issues.where(duplicated, key, "duplicate id in the frame")
    missing = ~existing[key].isin(current.index)
    for label, id_ in existing.loc[missing, key].items():
        issues.add([label], key, f"no {entity} with id {id_}")
    existing = existing.loc[~missing & ~duplicated]
    db = current.loc[existing[key].to_numpy()].set_axis(existing.index)

    conflicted = pd.Series(False, index=existing.index)
    if version is not None and version in existing.columns:
        conflicted = ~same(existing[version].astype("Int64"), db[version].astype("Int64"))
    conflicts = pd.DataFrame(
        {
            "row": existing.index[conflicted],
            key: existing.loc[conflicted, key].to_numpy(),
            "your_version": existing.loc[conflicted, version].to_numpy() if conflicted.any() else [],
            "current_version": db.loc[conflicted, version].to_numpy() if conflicted.any() else [],
        }
    )
    settled, before = existing.loc[~conflicted], db.loc[~conflicted]
    for name in spec.read_only:
        if name in settled.columns and name != version:
            changed = ~same(settled[name], before[name])
            issues.where(changed, name, spec.read_only_reason(name))

    masks = {name: ~same(settled[name], before[name]) for name in spec.editable if name in settled.columns}
    any_change = pd.DataFrame(masks).any(axis=1) if masks else pd.Series(False, index=settled.index)
    changes = settled.loc[any_change]
    changes = changes.assign(**{f"ch_{name}": mask.loc[any_change] for name, mask in masks.items()})
    return Plan(
        entity=entity,
        inserts=inserts,
        unchanged=settled.index[~any_change],
        conflicts=conflicts,
        invalid=issues.frame(),
        changes=changes,
        previous=before.loc[any_change],
        key=key,
    )


def without_invalid(plan: Plan) -> Plan:
    """The plan less every row named in `invalid` (frame-level issues have row None and are kept)."""
    bad = set(plan.invalid["row"].dropna())
    kept = ~plan.changes.index.isin(bad)
    return Plan(
        plan.entity,
        plan.inserts.loc[~plan.inserts.index.isin(bad)],
        plan.unchanged,
        plan.conflicts.loc[~plan.conflicts["row"].isin(bad)],
        plan.invalid,
        plan.changes.loc[kept],
        plan.previous.loc[kept],
        plan.key,
        plan.applier,
    )


def refuse(plan: Plan, skip_conflicts: bool, skip_invalid: bool) -> None:
    frame_level = plan.invalid.loc[plan.invalid["row"].isna()]
    if len(frame_level) or (len(plan.invalid) and not skip_invalid):
        raise ValidationFailed(issue_list(plan.invalid))
    if len(plan.conflicts) and not skip_conflicts:
        listed = conflict_list(plan.conflicts.head(10), plan.key)
        raise Conflict(
            f"{len(plan.conflicts)} row(s) were changed by someone else since you read them: {listed}; "
            "nothing was written (re-read them, or apply(skip_conflicts=True))"
        )
