"""`docprep clean` with Prefect and no configured API: the run's own temporary server
(`flows/local_api.py`) serves the flow, and is gone when the run ends, also when the run
is killed. Each test runs the CLI as a subprocess with a Prefect home of its own.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]
SERVER_APP = "prefect.server.api.server:create_app"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return env


def _servers(home: Path) -> list[psutil.Process]:
    """Prefect API servers started with this Prefect home."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if SERVER_APP in " ".join(p.info["cmdline"] or ()) and p.environ().get("PREFECT_HOME") == str(home):
                found.append(p)
        except psutil.Error:
            continue
    return found


def _gone(home: Path, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _servers(home):
            return True
        time.sleep(0.2)
    return False


def test_a_prefect_run_serves_itself_and_stops_its_server(tmp_path: Path) -> None:
    home, out = tmp_path / "home", tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "flows.cli", "clean", "seeds", "--out", str(out), "-w", "1", "-q"],
                          cwd=ROOT, env=_env(home), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((out / "manifest.json").read_text())["counts"]["inputs"] == 5
    assert "Error logging to API" not in done.stderr  # logs were sent before the server stopped
    assert "Starting temporary server" not in done.stderr  # Prefect did not start one of its own
    assert "batch 0: 5 units" in done.stderr and "started before the flow" in done.stderr  # RunAhead ran it
    assert (home / "prefect.db").exists()  # the flow run went to the server of this home
    assert _gone(home)


def test_a_killed_run_takes_its_server_with_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "clean", "seeds", "--out", str(tmp_path / "out"), "-q"],
                            cwd=ROOT, env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not _servers(home):
            assert proc.poll() is None and time.monotonic() < deadline, "no server was started"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _gone(home)
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in _servers(home):
            p.kill()
