"""Drill: concurrent clients read trials and pages while workers write.

Eight clients, each paced to at most 50 requests a second for 8 seconds (a bounded few hundred
requests a second on loopback), cycle through what the page and scripts read while two worker
processes write a search of 400 trials, against `serve --workers 2`. No request may fail; p50
and p99 latency are recorded. Each client is a process of its own: threads of one Python
process share one interpreter lock and measured the client, not the server.
"""

from __future__ import annotations

import os
import statistics
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.drills import (
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
CLIENTS = 8
RATE = 50  # requests per second per client, at most
SECONDS = 8.0
# One per core of the 2-core test machine; HZ_DRILL_SERVER_PROCESSES=1 for comparison.
SERVER_PROCESSES = int(os.environ.get("HZ_DRILL_SERVER_PROCESSES", "2"))


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


def client_ready(counter: Any) -> None:
    """Pool initializer: this client process has imported everything and waits for work."""
    with counter.get_lock():
        counter.value += 1


def read_for(
    url: str, experiment_id: int, search_id: int, offset: int, start: float
) -> tuple[list[float], list[str], float, float]:
    """One client process: from `start` (time.time) read for SECONDS; latencies, failures and
    when it began and ended."""
    time.sleep(max(0.0, start - time.time()))
    reader = Reader(url, experiment_id, search_id, offset)
    began = time.time()
    try:
        for _ in range(int(RATE * SECONDS)):
            if time.time() - began > SECONDS:
                break
            reader.step()
    finally:
        reader.close()
    return reader.latencies, reader.bad, began, time.time()


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
    server = Server(db_url, tmp_path / "server.log", "--workers", str(SERVER_PROCESSES))
    server.start()
    processes.append(server.process)
    if SERVER_PROCESSES > 1:
        server.wait_for_processes(SERVER_PROCESSES, Path(engine.url.database))
    spawn = get_context("spawn")
    ready = spawn.Value("i", 0)
    with spawn.Pool(CLIENTS, initializer=client_ready, initargs=(ready,)) as pool:
        # Clients first: the workers get through the budget in seconds, and spawning the
        # clients on a loaded machine can take longer than that.
        wait_for(lambda: ready.value == CLIENTS, 120, "the client processes")
        log = tmp_path / "workers.log"
        for _ in range(2):  # 50 ms a trial: the budget outlasts the reads
            processes.append(start_worker(db_url, log=log, HZ_TEST_SLOW="0.05"))
        wait_for(lambda: progress(factory, search_id)[0] >= 20, 60, "the first trials")
        written_before = progress(factory, search_id)[0]
        start = time.time() + 0.5
        jobs = [(server.url, experiment_id, search_id, i, start) for i in range(CLIENTS)]
        results = pool.starmap(read_for, jobs, chunksize=1)
    elapsed = max(r[3] for r in results) - min(r[2] for r in results)
    written_during = progress(factory, search_id)[0] - written_before
    bad = [b for r in results for b in r[1]]
    assert bad == []
    latencies = [lat for r in results for lat in r[0]]
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
        server_processes=SERVER_PROCESSES,
        load_average=[round(x, 2) for x in os.getloadavg()],
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
