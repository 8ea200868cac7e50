"""Drill: the database away for a while, with a server, workers and the page running.

PostgreSQL is stopped (`pg_ctl stop -m fast`: every connection cut) and started again, on a
cluster of this module's own so the shared test cluster is not disturbed. SQLite is locked by
another writer holding `BEGIN IMMEDIATE` longer than the processes' busy timeout (shortened here to
0.5 s so the drill stays short). Nobody is restarted: workers and server retry and carry on,
the page says it lost the server and then recovers, every search completes its budget exactly.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.store.db import make_engine, make_sessionmaker
from app.store.migrate import upgrade
from app.store.searches import Reaping
from tests.support.drills import (
    Server,
    check_integrity,
    check_searches,
    make_search,
    progress,
    record,
    start_worker,
    status_text,
    wait_for,
)
from tests.support.postgres import Cluster, no_postgres, pg_bindir, run_pg

pytestmark = pytest.mark.slow
N_TRIALS = 150
OUTAGE = 4.0  # seconds the database stays away


class OwnCluster:
    """A PostgreSQL cluster for this module only, which the drill may stop and start."""

    def __init__(self) -> None:
        bindir = pg_bindir()
        if bindir is None:
            no_postgres()
        self.cluster = Cluster(bindir)  # type: ignore[arg-type]
        self.url = self.cluster.start().set(database="postgres")
        # The shared cluster trades durability for speed (synchronous_commit = off): a stop
        # would then lose commits the app was told about. Here commits must be durable.
        with (self.cluster.data / "postgresql.conf").open("a") as conf:
            conf.write("synchronous_commit = on\nfsync = on\n")
        run_pg(bindir / "pg_ctl", "-D", self.cluster.data, "reload")  # type: ignore[operator]

    def stop(self) -> None:
        """Stop: every connection is cut at once (`-m fast`)."""
        c = self.cluster
        run_pg(c.bindir / "pg_ctl", "-D", c.data, "-m", "fast", "-w", "stop")

    def start(self) -> None:
        """Start again on the same port (crash recovery runs first)."""
        c = self.cluster
        run_pg(c.bindir / "pg_ctl", "-D", c.data, "-l", c.log, "-w", "-t", "60", "start")


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[OwnCluster]:
    """This module's own PostgreSQL cluster."""
    cluster = OwnCluster()
    try:
        yield cluster
    finally:
        cluster.cluster.remove()


@pytest.fixture
def pg_url(own_cluster: OwnCluster) -> str:
    """The cluster's `postgres` database, migrated."""
    url = own_cluster.url.render_as_string(hide_password=False)
    upgrade(url)
    return url


def run_until_done(
    db_url: str,
    tmp_path: Path,
    processes: list[Any],
    page: Any | None,
    outage: Any,
    **server_env: str,
) -> dict[str, Any]:
    """Server, two database workers and a remote worker on a search; `outage()` mid-way.

    Returns figures; asserts that nobody had to be restarted.
    """
    engine = make_engine(db_url)
    try:
        return _run_until_done(
            db_url, make_sessionmaker(engine), engine, tmp_path, processes, page, outage,
            server_env,
        )  # fmt: skip
    finally:
        engine.dispose()


def _run_until_done(
    db_url: str,
    factory: sessionmaker[Session],
    engine: Any,
    tmp_path: Path,
    processes: list[Any],
    page: Any | None,
    outage: Any,
    server_env: dict[str, str],
) -> dict[str, Any]:
    policy = Reaping(heartbeat_timeout=2, max_retries=10)
    experiment_id, search_id = make_search(factory, N_TRIALS, policy=policy)
    env = {"HYPERZOOM_HEARTBEAT_TIMEOUT": "2", "HYPERZOOM_MAX_RETRIES": "10", **server_env}
    server = Server(db_url, tmp_path / "server.log", HYPERZOOM_POLL_INTERVAL="0.3", **env)
    server.start()
    processes.append(server.process)
    log = tmp_path / "workers.log"
    workers = [start_worker(db_url, log=log, HZ_TEST_SLOW="0.03", **env)]
    workers.append(start_worker(db_url, log=log, HZ_TEST_SLOW="0.03", **env))
    remote_log = tmp_path / "remote.log"
    workers.append(start_worker(server.url, log=remote_log, HZ_TEST_SLOW="0.03"))
    processes.extend(workers)
    wait_for(lambda: "started" in remote_log.read_text(), 60, "the remote worker to register")
    if page is not None:
        page.goto(f"{server.url}/experiments/{experiment_id}")
        page.wait_for_function(
            "() => /^\\d+ trials$/.test(document.querySelector('#status').textContent)",
            timeout=20_000,
        )
    wait_for(lambda: progress(factory, search_id)[0] >= 30, 60, "30 finished trials")
    before = progress(factory, search_id)[0]
    reads = httpx.Client(base_url=server.url, timeout=5)
    try:
        figures = outage(server, page, reads)
    finally:
        reads.close()
    if page is not None:
        page.wait_for_function(
            "() => /^\\d+ trials$/.test(document.querySelector('#status').textContent)",
            timeout=30_000,
        )
    wait_for(lambda: progress(factory, search_id)[0] >= N_TRIALS, 120, "the budget", every=0.3)
    assert server.process is not None and server.process.poll() is None, "the server died"
    assert all(w.poll() is None for w in workers), "a worker died"
    assert server.starts == 1
    if page is not None:  # the page catches up at its next poll
        page.wait_for_function(
            f"() => document.querySelector('#status').textContent === '{N_TRIALS} trials'",
            timeout=10_000,
        )
    for process in [*workers, server.process]:
        process.terminate()
    for worker in workers:
        assert worker.wait(timeout=30) == 0
    server.process.wait(timeout=30)  # uvicorn re-raises SIGTERM after its clean shutdown
    checks = check_integrity(engine)
    totals = check_searches(factory)
    assert totals["failed"] == 0 and totals["complete"] == N_TRIALS
    retries = log.read_text().count("retrying") + remote_log.read_text().count("retrying")
    return {
        **figures,
        "trials": N_TRIALS,
        "finished_before_the_outage": before,
        "worker_retry_warnings": retries,
        "trials_recovered_by_heartbeat": totals["lost"],
        "process_restarts": 0,
        "trials_lost": 0,
        "trials_counted_twice": 0,
        "integrity": checks,
    }


def test_postgresql_stopped_and_started_again(
    pg_url: str, own_cluster: OwnCluster, tmp_path: Path, processes: list[Any], page: Any
) -> None:
    started = time.monotonic()

    def outage(server: Server, page: Any, reads: httpx.Client) -> dict[str, Any]:
        own_cluster.stop()
        down = time.monotonic()
        page.wait_for_function(
            "() => document.querySelector('#status').textContent.includes('Lost contact')",
            timeout=15_000,
        )
        shown = status_text(page)
        answer = reads.get("/api/experiments")
        # The database is away: no made-up answer, but a 503 saying so, with Retry-After.
        assert answer.status_code == 503, answer.text
        assert "retry-after" in answer.headers
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - down)))
        own_cluster.start()
        return {
            "outage_seconds": round(time.monotonic() - down, 1),
            "page_status_during_outage": shown,
            "api_status_during_outage": answer.status_code,
        }

    figures = run_until_done(pg_url, tmp_path, processes, page, outage)
    record(
        "database-outage-postgresql",
        fault="pg_ctl stop -m fast, then start",
        **figures,
        seconds=round(time.monotonic() - started, 1),
    )


def test_sqlite_locked_by_another_writer(
    sqlite_db_url: str, tmp_path: Path, processes: list[Any]
) -> None:
    started = time.monotonic()
    path = make_url(sqlite_db_url).database

    def outage(server: Server, page: Any, reads: httpx.Client) -> dict[str, Any]:
        locker = sqlite3.connect(path, isolation_level=None, timeout=5)
        try:
            locker.execute("BEGIN IMMEDIATE")
            locker.execute("UPDATE experiments SET name = name")
            held = time.monotonic()
            read_codes: list[int] = []
            write_codes: list[int] = []
            while time.monotonic() - held < OUTAGE:
                read_codes.append(reads.get("/api/experiments/1/trials/columns").status_code)
                # A fresh connection each time, as a page's retry would make.
                renamed = httpx.patch(f"{server.url}/api/experiments/1", json={"name": "r"})
                write_codes.append(renamed.status_code)
                time.sleep(0.2)
            locker.execute("COMMIT")
        finally:
            locker.close()
        after = httpx.patch(f"{server.url}/api/experiments/1", json={"name": "drill"})
        assert after.status_code == 200, after.text  # the server recovered by itself
        assert set(read_codes) == {200}, read_codes  # WAL: readers are not blocked
        assert set(write_codes) <= {200, 503}, write_codes  # waits, or a clear 503
        return {
            "lock_seconds": round(time.monotonic() - held, 1),
            "reads_during_lock": len(read_codes),
            "read_statuses": sorted(set(read_codes)),
            "write_statuses_during_lock": sorted(set(write_codes)),
            "write_status_after": after.status_code,
        }

    figures = run_until_done(
        sqlite_db_url, tmp_path, processes, None, outage, HZ_DRILL_BUSY_TIMEOUT="0.5"
    )
    assert figures["worker_retry_warnings"] > 0  # the lock outlasted the busy timeout
    record(
        "database-outage-sqlite",
        fault="another connection holds BEGIN IMMEDIATE; busy timeout 0.5 s",
        **figures,
        seconds=round(time.monotonic() - started, 1),
    )
