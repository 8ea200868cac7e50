"""Shared bits of the performance benchmarks: markdown tables, the machine's state, files,
and peak memory of a process tree."""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """What the numbers were measured on: cores, load, versions."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, load average {load} at start, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def fmt(x: float | None, digits: int = 3) -> str:
    """A number in `digits` significant figures (whole above 1000), or a dash."""
    if x is None:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.{digits}g}"


def ratio(ours: float | None, theirs: float | None) -> str:
    """theirs / ours as '12.3x' (how many times better we are when lower is better)."""
    if not ours or theirs is None:
        return "-"
    return f"{theirs / ours:.3g}x"


def median(xs: Sequence[float]) -> float:
    """The median."""
    return statistics.median(xs)


def fresh(path: Path) -> Path:
    """`path` with any SQLite database (and its WAL files) there removed."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


class PeakRss:
    """Samples the resident memory of a process and its children every 20 ms, keeping the
    largest total and the largest of the parent alone (in MB)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak_total = 0.0
        self.peak_main = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                main = self.process.memory_info().rss
                children = sum(c.memory_info().rss for c in self.process.children(True))
            except psutil.Error:
                break
            self.peak_main = max(self.peak_main, main / 2**20)
            self.peak_total = max(self.peak_total, (main + children) / 2**20)
            self._stop.wait(0.02)

    @contextmanager
    def watching(self) -> Iterator[PeakRss]:
        """Sample while the block runs."""
        self.peak_total = self.peak_main = 0.0
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    """Poll `url` until it answers."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
