"""How services apply the field rules: parse plain data into a struct, then check it as a frame of its rows.

The rules themselves are defined once, per column (account_rules.py, posting_rules.py, frames/text.py), so a
value a frame may not hold is refused by every path with the same field and reason.
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

import msgspec
import pandas as pd

from toolkit.errors import Issue, ValidationFailed
from toolkit.frames.decimals import non_ascii_numbers
from toolkit.frames.plan import issue_list
from toolkit.frames.text import UNSTORABLE, one_of, unstorable
from toolkit.frames.validate import FrameSpec, Issues, check_frame

T = TypeVar("T")
_PATH = re.compile(r" - at `\$(?:\[\d+\])?\.?([A-Za-z_][\w]*)?.*`$")


def parse(type_: type[T], data: Any, row: int | None = None) -> T:
    """Build a struct from plain data; a bad field becomes ValidationFailed naming row and field."""
    if issues := non_ascii_numbers(type_, [data], [row]):
        raise ValidationFailed(issues)
    try:
        parsed = data if isinstance(data, type_) else msgspec.convert(data, type_, strict=False)
    except msgspec.ValidationError as error:
        message = str(error)
        match = _PATH.search(message)
        field = match.group(1) if match else None
        reason = _PATH.sub("", message) if match else message
        if field is not None and (choices := _enum_values(type_, field)) and "enum value" in reason:
            reason = one_of(choices)  # as a frame says it
        raise ValidationFailed(Issue(row, field, reason)) from error
    text = {f: v for f in parsed.__struct_fields__ if isinstance(v := getattr(parsed, f), str)}  # type: ignore[attr-defined]
    bad = unstorable(pd.Series(list(text.values()), index=list(text), dtype=object))
    if bad.any():
        raise ValidationFailed([Issue(row, field, UNSTORABLE) for field in bad.index[bad]])
    return parsed


def checked(
    spec: FrameSpec, items: Sequence[dict[str, Any]], rows: Sequence[int | None]
) -> list[dict[str, Any]]:
    """`items` checked by the frame rules of `spec`, normalised as a frame is; or ValidationFailed naming
    the `rows` (one per item) and fields, with the reasons a frame would give."""
    frame = pd.DataFrame(list(items), dtype=object)
    issues = Issues()
    clean = check_frame(frame, spec, issues, inserting=False)
    found = issue_list(issues.frame())
    if found:
        raise ValidationFailed([Issue(rows[i.row], i.field, i.reason) for i in found])
    out = [dict(item) for item in items]
    for name in spec.normalise.keys() & set(clean.columns):
        for item, value in zip(out, clean[name].tolist(), strict=True):
            item[name] = value
    return out


def _enum_values(type_: type[Any], field: str) -> list[str]:
    hint = typing.get_type_hints(type_, include_extras=False).get(field)
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return [str(m.value) for m in candidate]
    return []
