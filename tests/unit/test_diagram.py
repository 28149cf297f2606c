from __future__ import annotations

import re
from pathlib import Path

from toolkit.diagram import mermaid

README = Path(__file__).resolve().parents[2] / "README.md"


def test_diagram_shows_every_table_column_key_and_relation():
    text = mermaid()
    for table in ("accounts {", "transactions {", "audit_log {"):
        assert table in text
    assert "bigint id PK" in text and "text email UK" in text and "bigint account_id FK" in text
    assert 'accounts ||--o{ transactions : "account_id"' in text


def test_readme_diagram_is_the_generated_one():
    match = re.search(
        r"<!-- diagram:start -->\n```mermaid\n(.*?)```\n<!-- diagram:end -->", README.read_text(), re.S
    )
    assert match, "README.md lost its diagram markers"
    assert match.group(1) == mermaid(), "README diagram is stale: run `queaccount db diagram --readme`"


def test_svg_diagram_draws_every_table_column_key_and_relation_with_no_script():
    from xml.etree import ElementTree

    from toolkit.diagram import Diagram

    drawing = Diagram()._repr_svg_()
    assert drawing == Diagram().svg()  # deterministic: the same models give the same bytes
    root = ElementTree.fromstring(drawing)  # well-formed XML, so browsers draw it from a data: URL
    ns = {"svg": "http://www.w3.org/2000/svg"}
    tables = {g.get("data-table"): g for g in root.iterfind(".//svg:g[@class='table']", ns)}
    assert {"accounts", "transactions", "audit_log", "api_keys"} <= set(tables)
    texts = [t.text for t in tables["transactions"].iterfind(".//svg:text", ns)]
    assert {"transactions", "account_id", "FK", "PK", "numeric(14, 2)", "text null"} <= set(texts)
    relations = [
        (g.get("data-from"), g.get("data-to")) for g in root.iterfind(".//svg:g[@class='relation']", ns)
    ]
    assert ("accounts", "transactions") in relations
    assert len(relations) == mermaid().count(" ||--")  # one line per foreign key, as in the Mermaid source
    assert "<script" not in drawing and "href" not in drawing
    assert repr(Diagram()) == mermaid()  # the text form is the README's Mermaid source


def test_svg_diagram_escapes_names_and_places_a_parent_left_of_its_child():
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table

    from toolkit.diagram import graph
    from toolkit.diagram_svg import order, svg

    metadata = MetaData()
    Table("zeta", metadata, Column("id", Integer, primary_key=True))
    Table("child<&>", metadata, Column("id", Integer, primary_key=True), Column("z", ForeignKey("zeta.id")))
    boxes, links = graph(metadata)
    assert [b.name for b in order(boxes, links)] == ["zeta", "child<&>"]
    drawing = svg(boxes, links)
    assert "child&lt;&amp;&gt;" in drawing and "child<&>" not in drawing
