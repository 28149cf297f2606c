"""What apply() would refuse, in words: the lines a plan's summary lists and the messages apply() raises."""

from __future__ import annotations

import pandas as pd

from toolkit.errors import Issue

REFUSES = "apply() would refuse it:"
SKIPS = " (apply(skip_%s=True) writes the rest)"


def refusals(invalid: pd.DataFrame, conflicts: pd.DataFrame, key: str = "id") -> list[str]:
    """Each issue of the frame as a whole, then the invalid rows and the conflicts (the first few of each,
    with the skip that would write the rest: none while the frame itself is refused)."""
    whole = invalid.loc[invalid["row"].isna()]
    said = [str(issue) for issue in issue_list(whole)]
    rows = invalid.loc[invalid["row"].notna()]
    skips = (lambda _: "") if len(whole) else (lambda what: SKIPS % what)
    if len(rows):
        shown = "; ".join(str(issue) for issue in issue_list(rows.head(3)))
        said.append(f"{count(rows['row'].nunique(), 'invalid row')}{skips('invalid')}: {shown}{more(rows)}")
    if len(conflicts):
        listed = conflict_list(conflicts.head(3), key)
        said.append(f"{count(len(conflicts), 'conflict')}{skips('conflicts')}: {listed}{more(conflicts)}")
    return said


def count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def more(frame: pd.DataFrame, shown: int = 3) -> str:
    return f" (and {len(frame) - shown} more)" if len(frame) > shown else ""


def conflict_list(conflicts: pd.DataFrame, key: str = "id") -> str:
    """`row 3 (id 7: yours v1, now v2), ...`: conflicts as the messages name them."""
    return ", ".join(
        f"row {row} ({key} {id_}: yours v{yours}, now v{now})"
        for row, id_, yours, now in conflicts[["row", key, "your_version", "current_version"]].itertuples(
            index=False
        )
    )


def issue_list(frame: pd.DataFrame) -> list[Issue]:
    """(row, column, reason) rows as Issues."""
    return [
        Issue(row, None if pd.isna(col) else str(col), str(reason))
        for row, col, reason in frame[["row", "column", "reason"]].itertuples(index=False)
    ]
