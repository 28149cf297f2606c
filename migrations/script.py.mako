"""${message}

Revision ID: ${up_revision}
Revises:${" " + comma(down_revision) if down_revision else ""}
Create Date: ${create_date}
"""
<%!
    import re

    def literal(value):
        if isinstance(value, (tuple, list)):
            items = ", ".join(literal(v) for v in value)
            return f"({items},)" if len(value) == 1 else f"({items})"
        return "None" if value is None else f'"{value}"'
%>\
<%
    body = "\n".join(part for part in (upgrades, downgrades) if part)
    libraries = [line for line in (imports or "").splitlines() if line.strip()]
    if re.search(r"\bop\.", body):
        libraries.insert(0, "from alembic import op")
    if re.search(r"\bsa\.", body):
        libraries.insert(0, "import sqlalchemy as sa")
%>
from collections.abc import Sequence
% if libraries:

${"\n".join(libraries)}
% endif

revision: str = ${literal(up_revision)}
down_revision: str | Sequence[str] | None = ${literal(down_revision)}
branch_labels: str | Sequence[str] | None = ${literal(branch_labels)}
depends_on: str | Sequence[str] | None = ${literal(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
