"""`qa.migrations` in a notebook: upgrades at once take turns, and failures are toolkit errors."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import toolkit
from toolkit import migrations
from toolkit.errors import DatabaseUnavailable, QueAccountError


def test_two_notebooks_upgrading_at_once_both_end_at_head(make_database):
    url = make_database("qa_race")
    kits = [toolkit.connect(url, actor=f"nb{i}", progress=False) for i in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(lambda kit: kit.migrations.upgrade(), kits))
        assert done == [migrations.heads(), migrations.heads()]
        assert kits[0].migrations.status()["applied"].all()
    finally:
        for kit in kits:
            kit.close()


def test_two_processes_upgrading_at_once_both_end_at_head(make_database):
    url = make_database("qa_race").render_as_string(hide_password=False)
    script = "import sys; from toolkit import migrations; print(migrations.upgrade(url=sys.argv[1]))"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outcomes]
    assert [out.strip() for out, _ in outcomes] == [str(migrations.heads())] * 2


def test_a_migration_failure_is_a_toolkit_error_not_a_driver_traceback(tmp_path):
    with toolkit.connect("postgresql://qa@127.0.0.1:9/qa", progress=False) as qa:
        with pytest.raises(DatabaseUnavailable, match="unreachable") as caught:
            qa.migrations.current()
        assert isinstance(caught.value, QueAccountError) and caught.value.__cause__ is None
