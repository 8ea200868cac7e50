"""Real processes for the tests: free ports, `hyperzoom ...` subprocesses, a live server."""

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

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hyperzoom(*args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    """Start `hyperzoom ARGS` as a real process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **kwargs.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.Popen([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, **kwargs)  # type: ignore[call-overload]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process and wait for it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_server(db_url: str, log_path: Path, **env: str) -> Iterator[str]:
    """Run `hyperzoom serve` on a free port until the block ends; yields its base URL."""
    port = free_port()
    with log_path.open("wb") as log:
        process = hyperzoom(
            "serve", "--db", db_url, "--port", str(port), stdout=log, stderr=log, env=env
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log_path.read_text())
            time.sleep(0.1)
        yield url
    finally:
        stop(process)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
