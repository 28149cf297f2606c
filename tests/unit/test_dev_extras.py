"""./dev's choice of what to install: a venv that already holds every extra asked for is ready, so
`./dev notebook` (dev,notebook) and `./dev test` (dev) take turns without installing; a change to
pyproject.toml or constraints.txt installs again, keeping every extra the venv had."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def sources_hash() -> str:
    return hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    ).hexdigest()


def to_install(venv: Path, requested: str) -> str:
    """What ./dev would install into `venv` for `requested` (its own function, run from the script)."""
    done = subprocess.run(
        ["bash", "-c", 'source "$1" && extras_to_install "$2"', "test", str(ROOT / "dev"), requested],
        env={"PATH": "/usr/bin:/bin", "QUEACCOUNT_VENV": str(venv)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def installed(venv: Path, extras: str, hash: str | None = None) -> Path:
    venv.mkdir(exist_ok=True)
    (venv / ".installed").write_text(f"{hash or sources_hash()}\n{extras}\n")
    return venv


def test_a_new_venv_gets_the_extras_asked_for(tmp_path):
    assert to_install(tmp_path / "venv", "dev") == "dev"
    assert to_install(tmp_path / "venv", "notebook,dev") == "dev,notebook"


@pytest.mark.parametrize("requested", ["dev", "notebook", "dev,notebook", "notebook,dev"])
def test_a_venv_holding_every_extra_asked_for_installs_nothing(tmp_path, requested):
    assert to_install(installed(tmp_path / "venv", "dev,notebook"), requested) == ""


def test_a_missing_extra_installs_the_union_so_nothing_held_is_lost(tmp_path):
    venv = installed(tmp_path / "venv", "dev")
    assert to_install(venv, "dev,notebook") == "dev,notebook"
    assert to_install(installed(tmp_path / "other", "notebook"), "dev") == "dev,notebook"


def test_a_changed_pyproject_or_constraints_installs_again_with_every_extra_held(tmp_path):
    venv = installed(tmp_path / "venv", "dev,notebook", hash="0" * 64)
    assert to_install(venv, "dev") == "dev,notebook"


def test_the_marker_of_an_older_dev_script_installs_once_more(tmp_path):
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".installed").write_text(f"dev,notebook {sources_hash()}  -\n")  # the old one-line form
    assert to_install(venv, "dev") == "dev"
