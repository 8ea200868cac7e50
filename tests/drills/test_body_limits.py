"""Drill: request bodies cost bounded memory and never stall the event loop (issue 14, item 10).

A real `hyperzoom serve`: many connections that hold back the last byte of a 10 MB body, and
GETs timed while four clients post 10 MB bodies full of escapes.
"""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.drills import record
from tests.support.processes import running_server

pytestmark = pytest.mark.slow
MB = 1024 * 1024
BODY = 10 * MB  # the default HYPERZOOM_MAX_BODY_BYTES


def server_pid(url: str) -> int:
    """The pid of the `hyperzoom serve` process listening on `url`'s port."""
    port = url.rsplit(":", 1)[1]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and port.encode() in argv:
            return int(cmdline.parent.name)
    raise LookupError(f"no server on port {port}")


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(pid)


def stall(url: str, length: int) -> socket.socket:
    """POST a body of `length` bytes but keep back its last byte; the socket stays open."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    head = (
        f"POST /api/experiments HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    sock.settimeout(10)
    try:
        sock.sendall(head.encode() + b"x" * (length - 1))
    except OSError:  # answered and closed before the body was sent: that is fine
        pass
    return sock


def answer(sock: socket.socket, wait: float = 5) -> bytes:
    """What the server sent back on `sock` (empty if nothing within `wait` seconds)."""
    sock.settimeout(wait)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b"}" in chunk:
                break
    except OSError:
        pass
    return b"".join(chunks)


@pytest.fixture
def server(sqlite_db_url: str, tmp_path: Path) -> Iterator[str]:
    """A real server with a short wait for a stalled body."""
    with running_server(sqlite_db_url, tmp_path / "server.log", HYPERZOOM_BODY_TIMEOUT="3") as url:
        yield url


def test_stalled_bodies_hold_at_most_the_global_cap_and_the_rest_get_a_quick_503(
    server: str,
) -> None:
    pid = server_pid(server)
    before = rss_mb(pid)
    began = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        socks = list(pool.map(lambda _: stall(server, BODY), range(150)))
    peak = rss_mb(pid)
    sent = time.monotonic() - began
    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(lambda s: answer(s, wait=1), socks))
    assert httpx.get(f"{server}/api/experiments", timeout=10).status_code == 200
    for s in socks:
        s.close()
    refused = [a for a in answers if a.startswith(b"HTTP/1.1 503")]
    record(
        "body-limits-stalled",
        connections=150,
        body_mb=10,
        rss_before_mb=round(before),
        rss_peak_mb=round(peak),
        refused_503=len(refused),
        seconds_to_send=round(sent, 1),
    )
    assert peak - before < 200, f"RSS grew from {before:.0f} MB to {peak:.0f} MB"
    assert len(refused) >= 140
    head, _, body = refused[0].partition(b"\r\n\r\n")
    assert b"retry-after:" in head.lower()
    error = json.loads(body)
    assert error["detail"][0]["type"] == "unavailable" and error["message"]


def test_a_body_that_stops_arriving_gets_a_408(server: str) -> None:
    sock = stall(server, 1000)
    began = time.monotonic()
    reply = answer(sock, wait=10)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert time.monotonic() - began < 6
    assert json.loads(reply.partition(b"\r\n\r\n")[2])["detail"][0]["type"] == "timeout"


def _get_p50(url: str, n: int = 60) -> float:
    """Median seconds of a small GET."""
    times = []
    with httpx.Client(timeout=30) as client:
        for _ in range(n):
            began = time.perf_counter()
            assert client.get(f"{url}/api/experiments").status_code == 200
            times.append(time.perf_counter() - began)
    return statistics.median(times)


# Plain text; escapes everywhere (each \u is looked at); surrogate pairs everywhere (the
# slowest case for the check: every pair is read as a token).
TEXTS = {"plain": "x", "escapes": "\\u00e9", "pairs": "\\ud83d\\ude00"}


@pytest.mark.parametrize("kind", list(TEXTS))
def test_gets_stay_quick_while_four_clients_post_10_mb_bodies(server: str, kind: str) -> None:
    quiet = _get_p50(server)
    text = TEXTS[kind] * ((BODY - 100) // len(TEXTS[kind]))
    body = ('{"name": "' + text + '"}').encode()
    stop = threading.Event()
    posted = []

    def post() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                headers = {"Content-Type": "application/json"}
                posted.append(
                    client.post(
                        f"{server}/api/experiments", content=body, headers=headers
                    ).status_code
                )

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        busy = _get_p50(server)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    record(
        f"body-limits-get-under-posts-{kind}",
        get_p50_quiet_ms=round(quiet * 1000, 1),
        get_p50_under_posts_ms=round(busy * 1000, 1),
        posts=len(posted),
        post_statuses=sorted(set(posted)),
    )
    assert set(posted) == {422}
    # Before issue 14 a GET waited 840 ms behind such posts; now 50-137 ms on an idle 2-core
    # machine (docs/benchmarks.md), 152 ms with a test run beside it. The bound keeps the
    # stall out without failing on a busy machine.
    assert busy < max(0.3, 10 * quiet), f"GET p50 {busy * 1000:.0f} ms, {quiet * 1000:.0f} quiet"
