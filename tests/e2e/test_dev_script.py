"""`./dev` as a newcomer runs it, in a copy of the repository with a venv of its own, installed from uv's
cache with the network off (UV_OFFLINE: nothing is fetched; uv itself is linked in, as `pip install uv` would
need the network): `./dev notebook` and `./dev qa` take turns without installing again, and JupyterLab
starts as root, on loopback, printing its address with the token."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_serve import free_port
from tests.integration.test_adding_a_model import copy_of_repository

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"
INSTALLING = "dev: installing"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository with an empty venv (and uv in it)."""
    repo = copy_of_repository(ROOT, tmp_path_factory.mktemp("repo"))
    venv = repo / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    (venv / "bin" / "uv").symlink_to(UV)
    python = str(venv / "bin" / "python")
    install = ["--python", python, "-c", "constraints.txt", "-e", ".[dev,notebook]"]
    dry_run = subprocess.run(
        [str(UV), "pip", "install", "--dry-run", "--offline", *install],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if dry_run.returncode != 0:
        pytest.skip(f"uv's cache cannot install the project offline here: {dry_run.stderr.strip()[-300:]}")
    return repo


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cache = subprocess.run([str(UV), "cache", "dir"], capture_output=True, text=True, check=True).stdout
    jupyter = tmp_path_factory.mktemp("jupyter")
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(jupyter),
        "UV_CACHE_DIR": cache.strip(),
        "UV_OFFLINE": "1",
        "PIP_NO_INDEX": "1",
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        "JUPYTER_DATA_DIR": str(jupyter / "data"),
    }


def dev(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["./dev", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"./dev {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def pinned(name: str) -> str:
    found = re.search(rf"^{name}==(\S+)$", (ROOT / "constraints.txt").read_text(), re.MULTILINE)
    assert found is not None
    return found[1]


def test_the_notebook_and_the_dev_extras_take_turns_without_installing_again(repo, env):
    first = dev(repo, env, "qa", "--help")
    assert "dev: installing .[dev] into .venv" in first.stderr and "usage: queaccount" in first.stdout
    lab = dev(repo, env, "notebook", "--version")
    assert "dev: installing .[dev,notebook] into .venv" in lab.stderr
    assert lab.stdout.strip() == pinned("jupyterlab")
    for args in (("qa", "--help"), ("notebook", "--version"), ("qa", "keys", "--help")):
        assert INSTALLING not in dev(repo, env, *args).stderr, args
    with (repo / "constraints.txt").open("a") as constraints:
        constraints.write("# edited\n")
    again = dev(repo, env, "qa", "--help")
    assert "dev: installing .[dev,notebook] into .venv" in again.stderr  # every extra the venv had
    assert INSTALLING not in dev(repo, env, "notebook", "--version").stderr


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_the_notebook_starts_as_root_on_loopback_and_prints_its_address_with_the_token(repo, env):
    port = free_port()
    address = re.compile(rf"http://127\.0\.0\.1:{port}/lab\?token=(?P<token>[0-9a-f]+)")
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            ["./dev", "notebook", "--port", str(port)],
            cwd=repo,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline, printed = time.monotonic() + 180, None
            while printed is None and time.monotonic() < deadline and process.poll() is None:
                output.seek(0)
                printed = address.search(output.read())
                time.sleep(0.1)
            output.seek(0)
            log = output.read()
            assert printed is not None, f"JupyterLab never printed its address:\n{log[-3000:]}"
            status = httpx.get(f"http://127.0.0.1:{port}/api/status", params={"token": printed["token"]})
            assert status.status_code == 200 and "started" in status.json()
            assert httpx.get(f"http://127.0.0.1:{port}/api/status").status_code == 403  # no token
            assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        finally:
            process.terminate()
            process.wait(timeout=60)
    if os.geteuid() == 0:
        assert "Running as root is not recommended" not in log
