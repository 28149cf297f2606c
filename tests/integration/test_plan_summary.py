"""A plan's summary (its repr, and its HTML in Jupyter) counts and shows every refusal apply() would give:
the frame's own issues (an unknown column, a missing version) as well as invalid rows and conflicts."""

from __future__ import annotations

import pytest

from toolkit.errors import ValidationFailed


@pytest.fixture
def two(qa):
    qa.accounts.create(email="ada@example.com", full_name="Ada", country="GB")
    qa.accounts.create(email="bo@example.com", full_name="Bo", country="DE")
    return qa


def test_frame_issues_are_counted_and_shown_as_apply_refuses_them(two):
    frame = two.accounts.frame(order_by="id").drop(columns="version")
    frame["nickname"] = "x"
    frame.loc[0, "plan"] = "pro"
    frame.loc[1, "email"] = "not-an-email"
    plan = two.accounts.diff(frame)
    text = str(plan)
    headline, refuses, *listed = text.splitlines()
    assert headline.endswith("0 conflicts, 1 invalid row, 2 frame issues")
    assert refuses == "apply() would refuse it:"
    with pytest.raises(ValidationFailed) as refused:
        plan.apply(skip_invalid=True)
    whole = sorted(str(i) for i in refused.value.issues if i.row is None)
    assert sorted(line.removeprefix("  - ") for line in listed[:2]) == whole
    assert "field 'nickname': unknown column" in text and "field 'version': needed to update rows" in text
    # skip_invalid=True cannot help while the frame itself is refused, so the line offers no skip
    assert listed[2] == "  - 1 invalid row: row 1, field 'email': is not a valid email address"
    assert [str(i) for i in refused.value.issues if i.row is not None] == [listed[2].split(": ", 1)[1]]
    html = plan._repr_html_()
    assert "2 frame issues" in html and "<li>field &#x27;nickname&#x27;: unknown column" in html
    assert two.accounts.get(1).plan == "free"


def test_invalid_rows_and_conflicts_are_counted_with_the_skip_that_writes_the_rest(two):
    frame = two.accounts.frame(order_by="id")
    two.accounts.update(2, full_name="Bob")  # someone else, after the read
    frame.loc[0, "email"] = "not-an-email"
    frame.loc[1, "plan"] = "business"
    plan = two.accounts.diff(frame)
    assert str(plan).splitlines()[2:] == [
        "  - 1 invalid row (apply(skip_invalid=True) writes the rest): "
        "row 0, field 'email': is not a valid email address",
        "  - 1 conflict (apply(skip_conflicts=True) writes the rest): row 1 (id 2: yours v1, now v2)",
    ]
    with pytest.raises(ValidationFailed, match="row 0, field 'email'"):
        plan.apply(skip_conflicts=True)


def test_a_plan_apply_would_write_says_so_in_one_line(two):
    frame = two.accounts.frame()
    frame["plan"] = "pro"
    plan = two.accounts.diff(frame)
    assert (
        str(plan)
        == "account plan: 0 to insert, 2 to update (2 cells), 0 unchanged, 0 conflicts, 0 invalid rows"
    )
    assert "would refuse" not in plan._repr_html_()
