"""CSV cells: what a spreadsheet would evaluate is neutralised in text, never in numbers."""

from __future__ import annotations

from decimal import Decimal

from sidecar.responses import cell


def test_csv_cells_neutralise_formulas_in_text_only():
    assert [cell(t) for t in ("=1", "+1", "-1", "@x", "\tx", "\rx", "a=b")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\rx",
        "a=b",
    ]
    assert cell(Decimal("-12.50")) == "-12.50" and cell(-3) == "-3"
