"""Start ``dom serve`` as a real process on a free loopback port, bounded and always stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def running_server(database_url: str, folder: Path, *, workers: int = 1) -> Iterator[str]:
    """Yield the base URL of a healthy server; terminate it (then kill) on the way out."""
    env = server_env(database_url)
    port = free_port()
    log = folder / f"server-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [DOM, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
             str(workers)], cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"dom serve exited: {log.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"dom serve not healthy: {log.read_text()[-3000:]}")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
