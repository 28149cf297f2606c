"""diff(), apply() and insert_frame() for any resource, under the same rules as its single-row writes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
from psycopg.errors import IntegrityError, UniqueViolation

from toolkit.db import UnitOfWork
from toolkit.errors import Conflict, Issue, ValidationFailed
from toolkit.frames import insert_stream, match, read, write
from toolkit.frames.plan import Plan, Report, issue_list, make_plan, refuse, without_invalid
from toolkit.frames.validate import Issues, check_frame
from toolkit.mixins.crud import CRUDMixin
from toolkit.mixins.integrity import translate
from toolkit.retry import retry_transient
from toolkit.services.frame_keys import natural_key, refuse_new, versions_read
from toolkit.services.row_writes import refusal

if TYPE_CHECKING:
    from toolkit.resources import Resource


class Held(NamedTuple):
    """The rows whose values of a unique key were looked up, and which existing row holds each value."""

    candidates: pd.DataFrame
    owner: dict[tuple[Any, ...], int]


def named_ids(frame: pd.DataFrame) -> list[int]:
    """The whole-number ids in the frame's `id` column, before any check (a bad id is refused later)."""
    if "id" not in frame.columns:
        return []
    ids = pd.to_numeric(frame["id"], errors="coerce").dropna()
    whole = ids[(ids == ids.round()) & ids.between(1, 2**63 - 1)]
    ids_: list[int] = whole.astype("int64").unique().tolist()
    return ids_


class FrameWrites:
    """Frames written back to one resource: set-based, audited, all or nothing. The model's service may add
    `frame_rules(plan, current, issues)`: refusals that need the rows as they are (a closed account)."""

    def __init__(
        self, resource: Resource, service: Any, repository: CRUDMixin[Any, Any, Any], uow: UnitOfWork
    ) -> None:
        self.resource, self.service, self.repository, self.uow = resource, service, repository, uow
        self.spec = resource.spec

    async def diff(
        self, frame: pd.DataFrame, *, key: str | Sequence[str] | None = None, insert: bool = True
    ) -> Plan:
        """Compare an (edited) frame with the database. Writes nothing.

        With `key` (a natural key of the resource: `"email"`, `("account_id", "title")`), rows without an id
        are matched to the rows holding the same key values; a row without a version is then checked against
        the row as diff() read it (re-checked by apply()). With `insert=False`, rows that match none are
        refused instead of inserted.
        """
        if not self.resource.allows("update"):
            raise refusal(self.resource, "update")
        if key is None:
            return await self._plan(frame, look_up_keys=True, insert=insert)
        names = natural_key(self.resource, key)
        missing = [Issue(None, n, "is the key but is not in the frame") for n in names if n not in frame]
        if missing:
            raise ValidationFailed(missing)
        found = await match.by_key(self.repository.session, self.spec, frame, names)
        id_ = self.spec.key
        given = frame[id_].astype(object) if id_ in frame else None  # an id given, even a bad one, is kept
        keyed = frame.assign(**{id_: found.ids if given is None else given.where(given.notna(), found.ids)})
        return await self._plan(keyed, look_up_keys=True, insert=insert, found=found, key=names)

    async def _plan(
        self,
        frame: pd.DataFrame,
        *,
        look_up_keys: bool,
        insert: bool = True,
        found: match.Match | None = None,
        key: tuple[str, ...] | None = None,
    ) -> Plan:
        """The plan of a frame; `found`: the rows a natural `key` matched (already read)."""
        issues = Issues()
        new = frame[self.spec.key].isna() if self.spec.key in frame else pd.Series(True, index=frame.index)
        if not insert:
            refused = new.to_numpy(dtype=bool) if found is None else found.unmatched
            refuse_new(self.resource, frame.loc[refused], key, issues)
            frame, new = frame.loc[~refused], new.loc[~refused]
        # The frame is checked on a worker thread while the rows it names arrive: both take about as long.
        # Required columns are required of new rows only: a frame read with some columns can still be saved.
        inserting = insert and bool(new.any())
        checking = asyncio.create_task(
            asyncio.to_thread(check_frame, frame, self.spec, issues, inserting=inserting)
        )
        try:
            current = await self._current(frame, found.current if found is not None else None)
        finally:
            clean = await checking
        if key is not None:
            clean = versions_read(clean, current, self.spec)
        checked = issues.frame()  # before make_plan adds to them on its thread
        planning = asyncio.ensure_future(
            asyncio.to_thread(
                make_plan, self.resource.name, clean, current.set_index("id", drop=False), self.spec, issues
            )
        )
        held = None
        try:  # the plan is made on a worker thread while the server looks up the new rows' unique keys
            if look_up_keys and insert:
                fresh = clean.loc[clean[self.spec.key].isna()] if self.spec.key in clean else clean
                held = await self._holders(fresh, checked, matched_by=key)
        finally:
            await asyncio.gather(planning, return_exceptions=True)
        plan = planning.result()
        if not insert:  # what is left without an id repeats a key, and is refused for it
            plan.inserts = plan.inserts.iloc[:0]
        rules = getattr(self.service, "frame_rules", None)
        if rules is not None:
            rules(plan, current.set_index("id"), issues)
        if look_up_keys or issues.parts:  # a refused frame names its taken keys in the same error
            await self._keys_taken(plan, issues, matched_by=key, held=held)
        plan.invalid = issues.frame()
        return plan

    async def _current(self, frame: pd.DataFrame, known: pd.DataFrame | None) -> pd.DataFrame:
        """The table's rows for the ids the frame names, those in `known` not read again."""
        ids = named_ids(frame)
        if known is not None and len(known):
            ids = sorted(set(ids) - set(known[self.spec.key].tolist()))
            if not ids:
                return known
        query = read.with_ids(self.spec.table, ids)
        rows = await read.read_pandas(self.repository.session, self.spec.table, query)
        return pd.concat([known, rows], ignore_index=True) if known is not None and len(known) else rows

    async def _holders(
        self,
        rows: pd.DataFrame,
        found: pd.DataFrame,
        *,
        matched_by: tuple[str, ...] | None,
        changed: pd.DataFrame | None = None,
    ) -> dict[tuple[str, ...], Held]:
        """Per unique key: the candidates among new `rows` (and the `changed` rows' changed values) not
        refused in `found`, and which existing rows hold their values. The new rows' values of the key the
        frame was `matched_by` are known to be free: no row held them."""
        result = {}
        for names in self.spec.unique:
            key = list(names)
            wanted = []
            if set(key) <= set(rows.columns) and names != matched_by:
                wanted.append(rows[key].assign(id=pd.Series(pd.NA, index=rows.index, dtype="Int64")))
            flags = [f"ch_{n}" for n in key if changed is not None and f"ch_{n}" in changed]
            if changed is not None and flags and set(key) <= set(changed.columns):
                wanted.append(changed.loc[changed[flags].any(axis=1), [*key, "id"]])
            candidates = pd.concat(wanted).dropna(subset=key) if wanted else pd.DataFrame()
            refused = found.loc[found["column"].isin(key), "row"]
            candidates = candidates.loc[~candidates.index.isin(refused)]
            if len(candidates):
                values = candidates[key].drop_duplicates().astype(object).itertuples(index=False, name=None)
                result[names] = Held(candidates, await self.repository.holders(key, list(values)))
        return result

    async def _keys_taken(
        self,
        plan: Plan,
        issues: Issues,
        matched_by: tuple[str, ...] | None = None,
        held: dict[tuple[str, ...], Held] | None = None,
    ) -> None:
        """New or changed values of a unique key already held by another row (the index would refuse them).
        `held`: what `_holders` found for the plan's new rows already (the changed rows are looked up now)."""
        found = issues.frame()
        now = plan.inserts.iloc[:0] if held is not None else plan.inserts
        looked = await self._holders(now, found, matched_by=matched_by, changed=plan.changes)
        for names in self.spec.unique:
            parts = [h[names] for h in (held or {}, looked) if names in h]
            if not parts:
                continue
            candidates = pd.concat([p.candidates for p in parts])
            owner = {k: v for p in parts for k, v in p.owner.items()}
            key = list(names)
            if not owner:  # the usual case: every value is free, and a million candidates need no loop
                continue
            hits = pd.MultiIndex.from_frame(candidates[key].astype(object)).isin(list(owner))
            candidates = candidates.loc[hits, [*key, "id"]].astype(object)  # Python values, as messages show
            for label, *value, id_ in candidates.itertuples():
                holder = owner.get(tuple(value))
                if holder is not None and (pd.isna(id_) or int(id_) != holder):
                    shown = value[0] if len(key) == 1 else dict(zip(key, value, strict=True))
                    issues.add(
                        [label], key[-1], f"{shown!r} already belongs to {self.resource.name} {holder}"
                    )

    async def apply(
        self, plan: Plan, *, actor: str, skip_conflicts: bool = False, skip_invalid: bool = False
    ) -> Report:
        """Write a plan in ONE transaction, re-checking versions; refuse it whole on any problem."""
        if plan.entity != self.resource.name:
            reason = (
                f"this plan is one of {plan.entity} rows, from their diff(): apply it there (plan.apply())"
            )
            raise ValidationFailed(Issue(None, None, reason))
        try:
            return await self._write(plan, actor, skip_conflicts, skip_invalid)
        except UniqueViolation as error:
            # A value taken since diff() (or never looked up: insert_frame): name every such row.
            issues = Issues()
            await self._keys_taken(without_invalid(plan), issues)
            if not issues.parts:
                raise self._refused(error, without_invalid(plan)) from None
            raise ValidationFailed(issue_list(issues.frame())) from None
        except IntegrityError as error:
            raise self._refused(error, without_invalid(plan)) from None

    def _refused(self, error: IntegrityError, plan: Plan) -> Exception:
        """A constraint the database held against a written plan, as a toolkit error naming the row when the
        database says which one (`COPY notes, line 3`: the plan's third insert) and the column it knows."""
        context = getattr(error.diag, "context", None) or ""
        line = re.search(rf"COPY {re.escape(self.spec.table.name)}, line (\d+)", context)
        number = int(line.group(1)) if line else 0
        row = plan.inserts.index[number - 1] if 0 < number <= len(plan.inserts) else None
        return translate(error, {"row": row})

    @retry_transient
    async def _write(self, plan: Plan, actor: str, skip_conflicts: bool, skip_invalid: bool) -> Report:
        refuse(plan, skip_conflicts, skip_invalid)
        valid = without_invalid(plan)
        changes = valid.changes.loc[~valid.changes.index.isin(valid.conflicts["row"])]
        name, session = self.resource.name, self.repository.session
        async with self.uow.atomic():
            updated = (
                await write.apply_updates(session, self.spec, changes, actor, name, valid.previous)
                if len(changes)
                else []
            )
            lost = (
                sorted(set(changes["id"].astype(int)) - set(updated)) if len(updated) != len(changes) else []
            )
            if lost and not skip_conflicts:  # changed since diff(): skipped as the conflicts it saw are
                raise Conflict(
                    f"{len(lost)} {name}(s) changed since diff() (ids {lost[:10]}); "
                    "nothing was written: read them again and re-apply"
                )
            inserts = valid.inserts
            inserted = (
                await write.insert_rows(session, self.spec, inserts, actor, name) if len(inserts) else []
            )
        return Report(
            name,
            inserted=len(inserted),
            updated=len(updated),
            unchanged=len(plan.unchanged),
            skipped_conflicts=len(plan.conflicts) + len(lost),
            skipped_invalid=int(plan.invalid["row"].nunique()),
            ids=inserted,
        )

    async def insert_frame(self, frame: pd.DataFrame, *, actor: str) -> Report:
        """Load new rows in bulk (rows must not have ids); all or nothing."""
        if not self.resource.allows("create"):
            raise refusal(self.resource, "create")
        if "id" in frame.columns and frame["id"].notna().any():
            raise ValidationFailed(Issue(None, "id", "insert_frame() takes new rows only: leave id empty"))
        try:
            return await self._insert_checked(frame, actor)
        except (insert_stream.Refused, IntegrityError):
            pass  # rolled back, nothing written: the whole frame is checked and written the slow way
        # A valid frame's keys are not looked up first: the unique index refuses a taken one, and apply() then
        # names every such row. Otherwise a million-email lookup would be paid by every good load.
        return await self.apply(await self._plan(frame, look_up_keys=False), actor=actor)

    @retry_transient
    async def _insert_checked(self, frame: pd.DataFrame, actor: str) -> Report:
        """The fast path of a good frame: checked in chunks while they are written (frames/insert_stream.py).
        Any issue refuses it, and insert_frame() checks it whole to name every issue."""
        async with self.uow.atomic():
            session = self.repository.session
            ids = await insert_stream.insert_checked(session, self.spec, frame, actor, self.resource.name)
        return Report(self.resource.name, inserted=len(ids), updated=0, unchanged=0, ids=ids)
