"""`hyperzoom serve --workers N`: several real server processes on one port, stopped together.

The flags reach the child processes through the environment (the token and the database URL
must never show in `ps`), and a signal to `serve` must leave no process behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import free_port, hyperzoom, stop

pytestmark = pytest.mark.slow
TOKEN = "s3cret-token-for-the-children"
OBJECTIVE = "tests.worker.objectives_for_tests:slow"


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc (children of children included)."""
    found: list[int] = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return found
    for child in map(int, children):
        found += [child, *descendants(child)]
    return found


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """`serve --workers 2` with a token, once it answers: (process, base URL, log)."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = hyperzoom(
            "serve", "--db", db_url, "--port", str(port), "--workers", "2",
            "--log-level", "warning", "--objective", OBJECTIVE,
            stdout=out, stderr=subprocess.STDOUT, env={"HYPERZOOM_TOKEN": TOKEN},
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"{url}/api/experiments", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(answers, 90, "the server")
    children = descendants(process.pid)  # noted now: after a SIGKILL they have a new parent
    yield process, url, log
    stop(process)
    for pid in children:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_two_server_processes_answer_with_the_flags_and_token_from_the_environment(
    served: tuple[subprocess.Popen[bytes], str, Path], db_url: str
) -> None:
    process, url, _ = served
    servers = [p for p in descendants(process.pid) if "spawn_main" in cmdline(p)]
    assert len(servers) == 2
    for pid in [process.pid, *descendants(process.pid)]:
        assert TOKEN not in cmdline(pid)
    body = {
        "name": "via --workers",
        "objective": "bowl",
        "direction": "minimize",
        "space": {"x": {"type": "float", "low": 0, "high": 1}},
        "search": {"n_trials": 3},
    }
    with httpx.Client(base_url=url, timeout=10) as client:
        assert client.post("/api/experiments", json=body).status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        created = client.post("/api/experiments", json=body, headers=auth)
        assert created.status_code == 201, created.text
        # Many requests over fresh connections: both processes serve the --db database.
        for _ in range(20):
            with httpx.Client(base_url=url, timeout=10) as fresh:
                names = [e["name"] for e in fresh.get("/api/experiments").json()]
                assert names == ["via --workers"]
                objectives = [o["name"] for o in fresh.get("/api/objectives").json()]
                assert OBJECTIVE in objectives  # --objective reached every process


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_serve_stops_every_process(
    served: tuple[subprocess.Popen[bytes], str, Path], signum: signal.Signals
) -> None:
    process, url, log = served
    children = descendants(process.pid)
    assert len(children) >= 2
    process.send_signal(signum)
    assert process.wait(timeout=30) == 0, log.read_text()
    wait_until(lambda: not any(alive(p) for p in children), 15, "the server processes to end")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/api/experiments", timeout=2)


def test_server_processes_stop_when_serve_is_killed(
    served: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    process, url, _ = served
    children = descendants(process.pid)
    process.kill()  # SIGKILL: uvicorn's supervisor cannot stop them, they must notice
    process.wait(timeout=10)
    wait_until(lambda: not any(alive(p) for p in children), 20, "the orphans to stop")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/api/experiments", timeout=2)
