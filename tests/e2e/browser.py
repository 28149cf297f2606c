"""Debian's headless Chromium (installed when missing), run with everything off the machine cut off: every
request not for the loopback goes to a trap proxy on 127.0.0.1 that records it and answers nothing."""

from __future__ import annotations

import re
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from benchmarks.apt import ensure_command

ARTIFACTS = Path(__file__).parents[1] / "artifacts"  # kept by the run for people to look at; ignored by git
CONSOLE = re.compile(r':CONSOLE(?::\d+|\(\d+\))?\] "(?P<message>.*)", source: (?P<source>.*)$')
# Chromium's own calls home (its clock, updates, sign-in), made whatever the page is: not the page's requests.
CHROMIUM_OWN = re.compile(
    r"\b(clients2\.google\.com|update\.googleapis\.com|accounts\.google\.com"
    r"|content-autofill\.googleapis\.com|optimizationguide-pa\.googleapis\.com|[\w-]+\.gvt1\.com)\b"
)


def ensure_chromium() -> str:
    return ensure_command("chromium")


class Trap:
    """A proxy on 127.0.0.1 that answers no request: what the browser tried to reach off the machine."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.asked: list[str] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    first = connection.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    first = "?"
                self.asked.append(first)

    def close(self) -> None:
        self.listener.close()


def artifact(name: str) -> Path:
    """A fresh path in tests/artifacts/ for a screenshot the run keeps."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    return path


@dataclass
class Visit:
    dom: str
    console: list[str]  # the page's console messages, whatever their level
    errors: list[str]  # uncaught exceptions and resources that failed to load
    outside: list[str]  # requests the page tried to send off the machine


def visit(url: str, screenshot: Path | None = None, budget_ms: int = 8000, size: str = "1280,900") -> Visit:
    """Load `url`, let its scripts run for `budget_ms` of virtual time; the DOM it ends with (or a PNG)."""
    trap = Trap()
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = [
            ensure_chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--proxy-server=http://127.0.0.1:{trap.port}",
            f"--window-size={size}",
            f"--virtual-time-budget={budget_ms}",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={screenshot}" if screenshot is not None else "--dump-dom",
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    trap.close()
    assert done.returncode == 0, done.stderr[-3000:]
    console, errors = [], []
    for line in done.stderr.splitlines():
        match = CONSOLE.search(line)
        if match:
            console.append(match["message"])
            if match["message"].startswith(("Uncaught", "Failed to load")):
                errors.append(f"{match['message']} ({match['source']})")
    outside = [asked for asked in trap.asked if not CHROMIUM_OWN.search(asked)]
    return Visit(dom=done.stdout, console=console, errors=errors, outside=outside)
