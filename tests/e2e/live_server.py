"""Start ``dom serve`` as a real process on a free loopback port, bounded and always stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import TEST_KEYS

DOM = str(Path(sys.executable).parent / "dom")
STARTUP_TIMEOUT_S = 40.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DOM_DATABASE_URL": database_url, "DOM_API_KEYS": TEST_KEYS,
            "DOM_LOG_LEVEL": "WARNING"}


def load_demo(database_url: str, folder: Path) -> None:
    """``dom demo`` into the database, as a newcomer would run it."""
    done = subprocess.run([DOM, "demo"], cwd=folder, env=server_env(database_url),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@dataclass
class LiveServer:
    """A started ``dom serve``: its URL, its process (the leader of its own process group, so
    the uvicorn master and its workers can be killed together) and its log."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill_hard(self) -> None:
        """SIGKILL the whole process group, the way a crash or the OOM killer stops a server:
        no shutdown handler runs, nothing is flushed, open transactions die with it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown), then SIGKILL to the group if it does not stop."""
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        # Workers left behind by a master that died or hung must not outlive the test.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


@contextmanager
def live_server(database_url: str, folder: Path, *, workers: int = 1,
                env: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """Yield a healthy server (``env`` adds variables); always stopped on the way out."""
    environment = {**server_env(database_url), **(env or {})}
    port = free_port()
    log = folder / f"server-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [DOM, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
             str(workers)], cwd=folder, env=environment, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True)
        server = LiveServer(f"http://127.0.0.1:{port}", process, log)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"dom serve exited: {log.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{server.base_url}/healthz", timeout=1.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"dom serve not healthy: {log.read_text()[-3000:]}")
                time.sleep(0.1)
            yield server
        finally:
            server.stop()


@contextmanager
def running_server(database_url: str, folder: Path, *, workers: int = 1,
                   env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Yield the base URL of a healthy server; terminate it (then kill) on the way out."""
    with live_server(database_url, folder, workers=workers, env=env) as server:
        yield server.base_url


@contextmanager
def demo_server(database_url: str, folder: Path, *, workers: int = 1,
                env: Mapping[str, str] | None = None) -> Iterator[str]:
    """``dom demo`` into the database, then ``running_server`` over it (what a newcomer runs)."""
    load_demo(database_url, folder)
    with running_server(database_url, folder, workers=workers, env=env) as base_url:
        yield base_url


@contextmanager
def http_client(base_url: str) -> Iterator[httpx.Client]:
    """A client for a live server, with room for a loaded machine's slow answers."""
    with httpx.Client(base_url=base_url, timeout=20.0) as client:
        yield client
