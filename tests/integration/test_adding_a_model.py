"""The README's "Adding a model", followed literally in a copy of the repository: its five files, its
commands, lint, and what it says a user then gets in a notebook and over HTTP."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.conftest import libpq
from tests.e2e.test_serve import Server
from toolkit import migrations

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "README.md"
BIN = Path(sys.executable).parent
QA = (sys.executable, "-m", "toolkit.cli")  # `./dev qa` in the copy: its code first on the path
AUTH_TESTS = "tests/integration/http/test_auth.py"

NOTEBOOK = """
import asyncio, json, sys

import pandas as pd

import toolkit
from toolkit.errors import QueAccountError
from toolkit.services.notes import NoteService
from toolkit.settings import Settings
from toolkit.wiring import create_container

url, seen = sys.argv[1], {}


def refusal(write):
    try:
        write()
    except QueAccountError as error:
        return f"{type(error).__name__}: {error}"
    return "written"


async def latest(account):
    container = create_container(Settings.load(database_url=url))
    async with container.enter_scope() as scope:
        notes = await (await scope.get(NoteService)).latest(account)
    await container.close()
    return [n.title for n in notes]


with toolkit.connect(url, actor="recipe", progress=False) as qa:
    seen["account"] = account = qa.accounts.create(email="ada@example.com", full_name="Ada", country="GB").id
    note = qa.notes.create(account_id=account, title="Call back", body="Tuesday")
    seen["created"] = note.id
    frame = qa.notes.frame()
    frame.loc[frame["id"] == note.id, "body"] = "Wednesday"
    plan = qa.notes.diff(frame)
    seen["plan"], seen["applied"] = str(plan), str(plan.apply())
    new = {"title": ["Invoice", "Visit", "Renewal"], "body": ["sent on the 3rd", "in May", "due in June"]}
    seen["loaded"] = str(qa.notes.insert_frame(pd.DataFrame({"account_id": account, **new})))
    seen["rows"] = qa.notes.frame(columns=["title", "body"], account_id=account).values.tolist()
    seen["search"] = qa.notes.frame(search="INVOICE")["title"].tolist()
    seen["latest"] = asyncio.run(latest(account))
    stale = qa.notes.frame(account_id=account)
    stale.loc[stale["title"] == "Renewal", "body"] = "mine"
    plan = qa.notes.diff(stale)
    renewal = int(stale.loc[stale["title"] == "Renewal", "id"].iloc[0])
    qa.notes.update(renewal, body="theirs")  # someone else, between diff() and apply()
    seen["stale"] = refusal(plan.apply)
    seen["stale_skipped"] = str(plan.apply(skip_conflicts=True))
    seen["kept"] = qa.notes.get(renewal).body
    both, lost = [account, account], [account, account + 1]
    bad = {  # frames whose row 1 is refused
        "blank": {"account_id": both, "title": ["Fine", "Empty"], "body": ["ok", "  "]},
        "taken": {"account_id": both, "title": ["Fine", "Visit"], "body": ["ok", "again"]},
        "twice": {"account_id": both, "title": ["Fine", "Fine"], "body": ["ok", "again"]},
        "lost": {"account_id": lost, "title": ["Fine", "Lost"], "body": ["ok", "ok"]},
    }
    for name, rows in bad.items():
        seen[name] = refusal(lambda: qa.notes.insert_frame(pd.DataFrame(rows)))
    seen["create_taken"] = refusal(lambda: qa.notes.create(account_id=account, title="Visit", body="b"))
    seen["no_account"] = refusal(lambda: qa.notes.create(account_id=account + 1, title="T", body="b"))
    seen["long_title"] = refusal(lambda: qa.notes.create(account_id=account, title="x" * 201, body="b"))
    seen["deleted"] = qa.notes.delete(note.id).body
    seen["gone"] = refusal(lambda: qa.notes.get(note.id))
    seen["updated"] = qa.notes.update(note.id + 2, body="in June").body
    seen["update_taken"] = refusal(lambda: qa.notes.update(note.id + 2, title="Invoice"))
    seen["audit"] = qa.audit.frame(entity="note")[["action", "entity_id"]].values.tolist()
    seen["history"] = [entry.action for entry in qa.audit.history("note", note.id)]
print(json.dumps(seen))
"""


def recipe(text: str) -> tuple[dict[str, str], list[list[str]]]:
    """The section's files (each ```python block, in the file the "in `path`" before it names) and the
    `./dev qa` commands of its ```bash blocks."""
    section = text.split("## Adding a model", 1)[1].split("\n## ", 1)[0]
    files = {}
    for block in re.finditer(r"```python\n(.*?)```", section, re.S):
        path = re.findall(r"in `([\w/]+\.py)`", section[: block.start()])[-1]
        files[path] = textwrap.dedent(block.group(1))
    commands = [
        shlex.split(line.split("#", 1)[0])[2:]
        for block in re.findall(r"```bash\n(.*?)```", section, re.S)
        for line in block.splitlines()
        if line.startswith("./dev qa ")
    ]
    return files, commands


def copy_of_repository(root: Path, into: Path) -> Path:
    """The tracked files of `root` (no .venv), with mypy's cache so the check is incremental."""
    tracked = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True)
    for name in tracked.stdout.decode().split("\0"):
        if name and (root / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, into / name)
    if (root / ".mypy_cache").is_dir():
        shutil.copytree(root / ".mypy_cache", into / ".mypy_cache")
    return into


def run(repo: Path, env: dict[str, str], *command: str) -> str:
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_the_readme_recipe_adds_a_model_to_both_faces_with_new_files_only(
    make_database, server_url, tmp_path
):
    files, commands = recipe(RECIPE.read_text())
    if any((ROOT / path).exists() for path in files):
        pytest.skip("this tree already has the recipe's notes: the recipe is proven on a tree without them")
    assert len(files) == 5 and commands[0][:2] == ["db", "revision"] and commands[1] == ["db", "upgrade"]
    assert commands[2] == ["db", "diagram", "--readme"]
    repo = copy_of_repository(ROOT, tmp_path / "repo")
    for path, text in files.items():
        assert not (repo / path).exists(), f"{path} is an existing file: the recipe must add new ones only"
        (repo / path).write_text(text)
    database = make_database("qa_recipe")
    url = database.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUEACCOUNT_")}
    env |= {
        "PYTHONPATH": str(repo),
        "QUEACCOUNT_DATABASE_URL": url,
        "QUEACCOUNT_HOME": str(tmp_path / "home"),
    }

    [old_head] = migrations.heads()
    assert f"database at {old_head}" in run(repo, env, *QA, "db", "upgrade")  # the schema before notes
    wrote = run(repo, env, *QA, *commands[0])
    [revision] = (repo / "migrations" / "versions").glob("*_add_notes.py")
    assert str(revision) in wrote and 'op.create_table(\n        "notes",' in revision.read_text()
    [new_head] = re.findall(r"Revision ID: (\w+)", revision.read_text())
    assert f"database at {new_head}" in run(repo, env, *QA, *commands[1])
    diagram = run(repo, env, *QA, "db", "diagram")
    assert "    notes {" in diagram and 'accounts ||--o{ notes : "account_id"' in diagram
    assert "diagram updated" in run(repo, env, *QA, *commands[2])
    run(
        repo,
        env,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/unit/test_diagram.py",
    )
    run(repo, env, str(BIN / "ruff"), "check", ".")
    run(repo, env, str(BIN / "ruff"), "format", "--check", ".")
    assert "Success: no issues found" in run(repo, env, str(BIN / "mypy"))

    script = tmp_path / "notebook.py"
    script.write_text(NOTEBOOK)
    seen = json.loads(run(repo, env, sys.executable, str(script), url).splitlines()[-1])
    account, first = seen["account"], seen["created"]
    assert seen["plan"].startswith("note plan: 0 to insert, 1 to update (1 cells)")
    assert seen["applied"].startswith("note: 0 inserted, 1 updated")
    assert seen["loaded"].startswith("note: 3 inserted")
    assert seen["rows"] == [
        ["Call back", "Wednesday"],
        ["Invoice", "sent on the 3rd"],
        ["Visit", "in May"],
        ["Renewal", "due in June"],
    ]
    assert seen["search"] == ["Invoice"]
    assert seen["latest"] == ["Renewal", "Visit", "Invoice", "Call back"]
    # Notes have no version column: apply() re-checks the values diff() read, and finds theirs.
    assert seen["stale"].startswith("Conflict: 1 note(s) changed since diff()")
    assert seen["stale_skipped"].startswith("note: 0 inserted, 0 updated, 3 unchanged, 1 conflicts skipped")
    assert seen["kept"] == "theirs"
    assert "row 1, field 'body': must not be blank" in seen["blank"]
    taken = f"row 1, field 'title': {{'account_id': {account}, 'title': 'Visit'}} already belongs to note"
    assert f"{taken} {first + 2}" in seen["taken"]
    assert "row 0, field 'title': (account_id, title) appears in more than one row" in seen["twice"]
    no_row = f"field 'account_id': Key (account_id)=({account + 1}) is not present in table \"accounts\""
    assert no_row in seen["lost"] and no_row in seen["no_account"]
    assert all(
        seen[k].startswith("ValidationFailed") for k in ("blank", "taken", "twice", "lost", "no_account")
    )
    assert seen["create_taken"].startswith(
        f"Conflict: Key (account_id, title)=({account}, Visit) already exists"
    )
    assert seen["long_title"].endswith("field 'title': must be at most 200 characters")
    assert seen["deleted"] == "Wednesday" and seen["gone"] == f"NotFound: note {first} does not exist"
    assert seen["updated"] == "in June"
    assert seen["update_taken"].startswith(f"Conflict: Key (account_id, title)=({account}, Invoice) already")
    assert [a for a, i in seen["audit"] if i == first] == ["create", "update", "delete"]
    assert ["create", first + 1] in seen["audit"]  # the bulk load, one entry for its ids
    assert seen["history"] == ["create", "update", "delete"]

    secret = run(repo, env, *QA, "keys", "create", "--name", "dashboard", "--scope", "write").split()[-1]
    server = Server(database, cwd=repo, env=env)
    try:
        server.wait_until_ready()
        served = over_http(server.base, secret, account)
    finally:
        log = server.stop()
    assert "POST /v1/notes 201" in log and f"DELETE /v1/notes/{served} 204" in log

    # The route walk of the sidecar's auth tests reaches the new routes without an edit.
    inner = env | {"QUEACCOUNT_TEST_DATABASE_URL": libpq(server_url)}
    walked = run(repo, inner, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", AUTH_TESTS)
    assert " passed" in walked and "failed" not in walked


def over_http(base: str, secret: str, account: int) -> int:
    """What the recipe says HTTP clients get; returns the id of the note made and deleted."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}) as http:
        note = {"account_id": account, "title": "From HTTP", "body": "hello"}
        created = http.post("/v1/notes", json=note, headers={"Prefer": "return=representation"})
        assert created.status_code == 201, created.text
        [row] = created.json()
        assert {k: row[k] for k in note} == note
        one = f"/v1/notes/{row['id']}"
        listed = http.get(f"/v1/notes?account_id=eq.{account}&select=title&order=title")
        assert listed.json() == [{"title": t} for t in ("From HTTP", "Invoice", "Renewal", "Visit")]
        found = http.get("/v1/notes?title=ilike.*invoice*&select=title")
        assert found.json() == [{"title": "Invoice"}]
        csv = http.get(f"/v1/notes?id=eq.{row['id']}&select=id,title", headers={"Accept": "text/csv"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines() == ["id,title", f"{row['id']},From HTTP"]
        assert http.patch(one, json={"body": "hello again"}).status_code == 204
        assert http.get(one).json()["body"] == "hello again"
        taken = http.post("/v1/notes", json=note | {"title": "Visit"})
        assert taken.status_code == 409 and "Key (account_id, title)=" in taken.json()["message"]
        blank = http.post("/v1/notes", json=note | {"title": "Blank", "body": " "})
        assert blank.status_code == 422 and "field 'body': must not be blank" in blank.json()["details"]
        audit = http.get(f"/v1/audit?entity=eq.note&entity_id=eq.{row['id']}&select=action,actor")
        assert audit.json() == [
            {"action": "create", "actor": "dashboard"},
            {"action": "update", "actor": "dashboard"},
        ]
        assert http.delete(one).status_code == 204
        assert http.get(one).status_code == 404
        paths = http.get("/schema/openapi.json").json()["paths"]
        assert {"get", "post", "patch"} <= paths["/v1/notes"].keys()
        assert {"get", "patch", "delete"} <= paths["/v1/notes/{note_id}"].keys()
    return int(row["id"])
