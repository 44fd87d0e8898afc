"""Prefect's temporary local API, started by docprep at the start of a run.

Without a configured API (PREFECT_API_URL), Prefect starts a temporary server the first
time a flow needs its client: it imports its whole server application in the calling
process (3.3 s here) just to launch `uvicorn` in a subprocess, then waits for the
subprocess to import the same and answer /health (about 5 s). Nothing else happens in
those seconds. `LocalApi` launches the same server the same way (same command, same
environment, so the same database and settings) as soon as the CLI knows it will need
one, without the import, and the caller waits for it only when the flow starts: the
server boots while the CLI imports the flow and the first batches run
(`cleaners.worker.RunAhead`).
Measured on the seeds: 13.0 s -> 8.8 s for `docprep clean seeds` (1.9 s with
--no-prefect); the first run in a new Prefect home takes ~20 s more either way (its
database is created).

The server is the run's own: stopped when the run ends, and (on Linux) killed with the
CLI if the CLI is killed, which Prefect's own temporary server is not.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Iterator

import httpx

#: What Prefect's temporary server gets on top of the caller's environment
#: (prefect.server.api.server.SubprocessASGIServer._run_uvicorn_command).
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _death_signal():
    """A function for the child to call between fork and exec, so that it gets SIGTERM when
    this process dies (Linux's PR_SET_PDEATHSIG); None elsewhere. Everything is looked up
    here, in the parent: the child may run no import and take no lock."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)


class LocalApi:
    """A temporary Prefect API server on 127.0.0.1, launched now, waited for later."""

    def __init__(self, env: dict[str, str]) -> None:
        import prefect

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env={**os.environ, **SERVER_ENV, **env},
            stdout=subprocess.DEVNULL,
            preexec_fn=_death_signal(),
        )

    def wait(self, timeout: float) -> bool:
        """Whether the server answers /health within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    return False
                try:
                    if client.get(f"{self.url}/health").status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_local_api() -> LocalApi | None:
    """A `LocalApi` when Prefect would start a temporary server for this process; None when
    an API is configured (PREFECT_API_URL) or Prefect's ephemeral mode is off."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        return None
    return LocalApi(settings.to_environment_variables(exclude_unset=True))


@contextlib.contextmanager
def using(api: LocalApi | None) -> Iterator[None]:
    """Prefect's client pointed at `api` for the block, once it is up; the server stopped
    after. If it does not come up, Prefect starts its own as it would have."""
    if api is None:
        yield
        return
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings

    try:
        # A first start in a new Prefect home creates and migrates its database: about 20 s
        # here, Prefect's whole default timeout (which its own wait loop overshoots, as it
        # counts only its sleeps); a second server on the same database while the first
        # migrates would fail on locks, so this one gets thrice the time.
        if not api.wait(3 * PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()):
            api.stop()
            yield
            return
        with temporary_settings({PREFECT_API_URL: api.url}):
            try:
                yield
            finally:
                _flush_to(api)
    finally:
        api.stop()


def _flush_to(api: LocalApi) -> None:
    """Send the run's last logs and events while the server is still up (Prefect's own
    temporary server stops only at interpreter exit, after its senders drained)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=10, at_exit=False)
