"""Every worked example in notebooks/ runs top to bottom against a real PostgreSQL, and its HTML export reads
well offline: tables, the chart and the ER diagram show in headless Chromium with the network cut off."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from tests.e2e.browser import artifact, visit
from toolkit.cluster import free_port

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
STALE_BAR = re.compile(r"rows \[|rows/s|stage/s|\d+%\|")  # what a tqdm bar's text looks like


@pytest.fixture(scope="module")
def notebook_env(make_database, tmp_path_factory, monkeypatch_module):
    url = make_database("qa_notebooks")
    monkeypatch_module.setenv("QUEACCOUNT_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch_module.setenv("QUEACCOUNT_HOME", str(tmp_path_factory.mktemp("nb-home")))
    monkeypatch_module.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as in Jupyter
    return url


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def executed(notebook_env, tmp_path_factory):
    """Each notebook run once (in file order the first time it is asked for), its outputs kept."""
    done: dict[Path, nbformat.NotebookNode] = {}

    def run(path: Path) -> nbformat.NotebookNode:
        if path not in done:
            nb = nbformat.read(path, as_version=4)
            resources = {"metadata": {"path": str(tmp_path_factory.mktemp(path.stem))}}
            NotebookClient(nb, timeout=300, kernel_name="python3", resources=resources).execute()
            done[path] = nb
        return done[path]

    return run


def output_text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )


def test_there_are_worked_examples():
    names = {p.stem for p in NOTEBOOKS}
    names_wanted = {"01-quickstart", "02-editing-accounts", "03-bulk-loading", "04-migrations", "05-merging"}
    assert names_wanted | {"06-dask"} <= names


def test_outputs_are_not_committed():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_without_errors(path, notebook_env, executed):
    text = output_text(executed(path))
    assert "Traceback" not in text
    assert "zoneinfo.ZoneInfo" not in text and "AuditEntry(" not in text and "Report(" not in text
    assert not STALE_BAR.search(text)
    secret = notebook_env.password
    if secret:
        assert str(secret) not in text


def offline_html(nb: nbformat.NotebookNode) -> str:
    """The notebook as nbconvert's lab HTML, its CDN scripts (require.js, MathJax, the Mermaid loader's two
    modules) left out: no output of these notebooks needs them, and the page must name nothing off the
    machine to fetch."""
    exporter = HTMLExporter(
        template_name="lab",
        require_js_url="",
        mathjax_url="",
        mermaid_js_url="",
        mermaid_layout_elk_js_url="",
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    return body


# What each export must show: (what, pattern in the rendered page)
TABLE = ("a table", r'<table[^>]*class="dataframe')
CHART = ("the chart", r'<img[^>]+src="data:image/png;base64,')
DIAGRAM = ("the ER diagram", r'<img[^>]+src="data:image/svg\+xml;base64,')
EXPECTED = {
    "01-quickstart": [TABLE, CHART],
    "02-editing-accounts": [TABLE],
    "03-bulk-loading": [TABLE],
    "04-migrations": [TABLE, DIAGRAM],
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_html_export_shows_tables_chart_and_diagram_with_no_network(path, executed, tmp_path):
    html = offline_html(executed(path))
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", html)
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert not [s for s in scripts if re.search(r"[\"']https?://[^\"']+\.m?js[\"']", s)]  # nothing to import
    page = tmp_path / f"{path.stem}.html"
    page.write_text(html)
    seen = visit(page.as_uri(), budget_ms=3000)
    visit(page.as_uri(), screenshot=artifact(f"notebook-{path.stem}.png"), size="1280,5000", budget_ms=3000)
    assert seen.outside == [] and seen.errors == []
    for what, pattern in EXPECTED.get(path.stem, [TABLE]):
        assert re.search(pattern, seen.dom), f"{path.name}'s export shows no {what}"
    assert "Traceback" not in seen.dom and not STALE_BAR.search(seen.dom)
    for svg in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', seen.dom):
        drawing = base64.b64decode(svg).decode()
        assert "<script" not in drawing and "http://" not in drawing.replace("http://www.w3.org/2000/svg", "")
        for table in ("accounts", "transactions", "audit_log"):
            assert f'data-table="{table}"' in drawing
        assert 'data-from="accounts" data-to="transactions"' in drawing


def test_a_long_read_leaves_no_progress_text_in_the_saved_notebook(notebook_env, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import pandas as pd, toolkit\n"
            "qa = toolkit.connect(actor='progress-check')\n"
            "qa.migrations.upgrade()\n"
            "[one] = qa.accounts.insert_frame(pd.DataFrame({'email': ['bar.check@example.com'],"
            " 'full_name': ['Bar Check'], 'country': ['DE']})).ids\n"
            "n = 110_000\n"
            "qa.transactions.post_frame(pd.DataFrame({'account_id': [one] * n, 'kind': 'deposit',"
            " 'amount': '1.00'}))"
        ),
        nbformat.v4.new_code_cell("rows = qa.transactions.frame(account_id=one)\nlen(rows)"),
    ]
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    posting, reading = nb.cells
    assert reading.outputs[-1]["data"]["text/plain"] == "110000"
    for cell in (posting, reading):
        bars = [o for o in cell.outputs if o["output_type"] == "display_data"]
        assert bars, "a bar was shown while the work ran"  # and emptied when it was done:
        assert all(not any(str(v).strip() for v in o["data"].values()) for o in bars), bars
    assert not STALE_BAR.search(output_text(nb)) and "reading" not in output_text(nb)


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on the loopback, serving `tmp_path / "root"`, that fetches no news or updates."""
    root, config = tmp_path / "root", tmp_path / "config"
    root.mkdir()
    config.mkdir()
    (config / "jupyter_lab_config.py").write_text(
        "c.LabApp.news_url = None\n"
        "c.LabApp.check_for_updates_class = 'jupyterlab.handlers.announcements.NeverCheckForUpdate'\n"
    )
    env = os.environ | {
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    port = free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1"]
    command += [
        f"--port={port}",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--notebook-dir={root}",
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # until it answers (or has died): a wait, not a timing assertion
            assert server.poll() is None, "jupyter lab exited"
            try:
                urllib.request.urlopen(f"{base}/api/status", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield root, base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_jupyterlab_shows_the_tables_and_diagram_of_a_saved_notebook(executed, jupyterlab):
    root, base = jupyterlab
    [migrations] = [p for p in NOTEBOOKS if p.stem == "04-migrations"]
    nbformat.write(executed(migrations), root / "saved.ipynb")  # run elsewhere: JupyterLab does not trust it
    seen = visit(f"{base}/lab/tree/saved.ipynb", budget_ms=30000, size="1400,1000")
    visit(
        f"{base}/lab/tree/saved.ipynb", screenshot=artifact("jupyterlab-04-migrations.png"), budget_ms=30000
    )
    assert seen.outside == []
    assert re.search(
        r'<img[^>]+alt="ER diagram of the models"[^>]+src="data:image/svg\+xml;base64,', seen.dom
    )
    assert re.search(r"<table[^>]*>.*?<th[^>]*>revision</th>", seen.dom, re.S)
    assert "erDiagram" not in seen.dom  # the diagram's text form is not what shows
