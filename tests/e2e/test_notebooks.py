"""Every worked example in notebooks/ runs top to bottom against a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def notebook_env(make_database, tmp_path_factory, monkeypatch_module):
    url = make_database("qa_notebooks")
    monkeypatch_module.setenv("QUEACCOUNT_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch_module.setenv("QUEACCOUNT_HOME", str(tmp_path_factory.mktemp("nb-home")))
    monkeypatch_module.setenv("MPLBACKEND", "Agg")
    return url


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_there_are_worked_examples():
    names = {p.stem for p in NOTEBOOKS}
    assert {"01-quickstart", "02-editing-accounts", "03-bulk-loading", "04-migrations", "06-dask"} <= names


def test_outputs_are_not_committed():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_without_errors(path, notebook_env, tmp_path):
    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(nb, timeout=300, kernel_name="python3", resources=resources).execute()
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    assert "Traceback" not in text
    secret = notebook_env.password
    if secret:
        assert str(secret) not in text
