"""Debian packages the benchmarks and the browser tests need, installed on first use (CI starts clean)."""

from __future__ import annotations

import shutil
import subprocess


def ensure_command(command: str, package: str | None = None) -> str:
    """The path of `command`, installing its Debian `package` (default: the same name) when it is missing."""
    found = shutil.which(command)
    if found:
        return found
    package = package or command
    print(f"{command} is missing: apt-get install -y {package}", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True)
    return shutil.which(command) or command
