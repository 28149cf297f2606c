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
