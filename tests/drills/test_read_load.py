"""Drill: concurrent clients read trials and pages while workers write.

Six clients, each paced to at most 40 requests a second for 8 seconds (a bounded few hundred
requests a second on loopback), cycle through what the page and scripts read while two worker
processes write a search of 400 trials. No request may fail; p50 and p99 latency are recorded.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.drills.conftest import (
    Looping,
    Server,
    check_integrity,
    check_searches,
    make_search,
    progress,
    record,
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.slow
N_TRIALS = 400
CLIENTS = 6
RATE = 40  # requests per second per client, at most
SECONDS = 8.0


class Reader:
    """One client cycling through the read endpoints at a bounded rate."""

    def __init__(self, url: str, experiment_id: int, search_id: int, offset: int) -> None:
        self.client = httpx.Client(base_url=url, timeout=10)
        self.cursor = 0
        self.paths = [
            lambda: f"/api/experiments/{experiment_id}/trials/columns?since={self.cursor}",
            lambda: f"/api/experiments/{experiment_id}/trials/columns",
            lambda: f"/api/experiments/{experiment_id}/trials?limit=100",
            lambda: f"/api/searches/{search_id}",
            lambda: f"/api/experiments/{experiment_id}",
            lambda: "/api/experiments",
            lambda: f"/experiments/{experiment_id}",
            lambda: "/",
        ]
        self.n = offset
        self.latencies: list[float] = []
        self.bad: list[str] = []

    def step(self) -> None:
        path = self.paths[self.n % len(self.paths)]()
        self.n += 1
        began = time.perf_counter()
        try:
            response = self.client.get(path)
        except httpx.TransportError as exc:
            self.bad.append(f"{path}: {exc!r}")
            return
        elapsed = time.perf_counter() - began
        self.latencies.append(elapsed)
        if response.status_code != 200:
            self.bad.append(f"{path}: HTTP {response.status_code}")
        elif "columns?since" in path:
            self.cursor = response.json()["cursor"]
        time.sleep(max(0.0, 1 / RATE - elapsed))

    def close(self) -> None:
        self.client.close()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def test_reads_while_workers_write(
    db_url: str,
    factory: sessionmaker[Session],
    engine: Any,
    tmp_path: Path,
    processes: list[Any],
) -> None:
    experiment_id, search_id = make_search(factory, N_TRIALS)
    server = Server(db_url, tmp_path / "server.log")
    server.start()
    processes.append(server.process)
    log = tmp_path / "workers.log"
    for _ in range(2):
        processes.append(start_worker(db_url, log=log, HZ_TEST_SLOW="0.01"))
    wait_for(lambda: progress(factory, search_id)[0] >= 20, 60, "the first trials")
    written_before = progress(factory, search_id)[0]

    readers = [Reader(server.url, experiment_id, search_id, i) for i in range(CLIENTS)]
    threads = [Looping(r.step, int(RATE * SECONDS), time.monotonic() + SECONDS) for r in readers]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 30)
    elapsed = time.monotonic() - began
    for reader in readers:
        reader.close()
    written_during = progress(factory, search_id)[0] - written_before
    for thread in threads:
        assert not thread.errors, thread.errors
    bad = [b for r in readers for b in r.bad]
    assert bad == []
    latencies = [lat for r in readers for lat in r.latencies]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    assert written_during > 0, "the workers wrote nothing while the clients read"
    assert p99 < 3.0, f"p99 {p99:.3f} s"

    wait_for(lambda: progress(factory, search_id)[0] >= N_TRIALS, 120, "the budget", every=0.3)
    for process in processes:
        process.terminate()
    for process in processes[1:]:  # the workers; uvicorn re-raises SIGTERM after shutting down
        assert process.wait(timeout=30) == 0
    processes[0].wait(timeout=30)
    checks = check_integrity(engine)
    totals = check_searches(factory)
    assert totals["complete"] == N_TRIALS
    record(
        f"read-load-{engine.dialect.name}",
        clients=CLIENTS,
        requests=len(latencies),
        errors=0,
        requests_per_second=round(len(latencies) / elapsed),
        p50_ms=round(p50 * 1000, 1),
        p99_ms=round(p99 * 1000, 1),
        max_ms=round(max(latencies) * 1000, 1),
        mean_ms=round(statistics.fmean(latencies) * 1000, 1),
        trials_written_during_reads=written_during,
        integrity=checks,
    )
