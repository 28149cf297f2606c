"""The README's "Adding a model" recipe, run as written against a real database."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HARNESS = """
import asyncio, sys
from sqlalchemy import create_engine
from toolkit import wiring
from toolkit.roles import grant_to_roles
from toolkit.settings import Settings

url = sys.argv[1]
engine = create_engine(url)
with engine.begin() as conn:               # what the generated migration and `db upgrade` would do
    NoteModel.__table__.create(conn)
    grant_to_roles(conn)
engine.dispose()
wiring.SCOPED.extend([NoteRepository, NoteService])   # step 5


async def main():
    container = wiring.create_container(Settings.load(env_file=None, database_url=url))
    async with container.enter_scope() as scope:
        accounts = await scope.get(wiring.AccountService)
        data = {"email": "n@example.com", "full_name": "N", "country": "DE"}
        account = await accounts.create(data, actor="t")
        notes = await scope.get(NoteService)
        await notes.add({"account_id": account.id, "body": "first"}, actor="readme")
        await notes.add({"account_id": account.id, "body": ""}, actor="readme")
        listed = await notes.list(account_id=account.id)
        print([n.body for n in listed])
    await container.close()

asyncio.run(main())

import toolkit

with toolkit.connect(url, progress=False) as qa:
    print(qa.table(NoteRepository).frame(columns=["body"])["body"].tolist())
"""


def readme_snippets() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Adding a model", 1)[1].split("\n## ", 1)[0]
    return "\n".join(textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", section, re.S))


def test_the_readme_recipe_adds_a_working_model(make_database, tmp_path):
    url = make_database("qa_recipe")
    from toolkit import migrations

    migrations.upgrade(url=url)
    script = tmp_path / "recipe.py"
    script.write_text(readme_snippets() + HARNESS)
    done = subprocess.run(
        [sys.executable, str(script), url.render_as_string(hide_password=False)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # the overridden _get_query hides empty notes, in the service and in the notebook's frames alike
    assert done.stdout.split() == ["['first']", "['first']"]
