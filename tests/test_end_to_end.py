"""The whole loop with real processes: a server, two workers, a coarse search, a refinement."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import hyperzoom, stop

pytestmark = pytest.mark.slow


def wait_done(api: httpx.Client, search_id: int, timeout: float = 60) -> dict:
    """Poll a search until it is done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        search = api.get(f"/api/searches/{search_id}").json()
        if search["status"] == "done":
            return search
        time.sleep(0.2)
    raise AssertionError(f"search {search_id} not done in {timeout}s: {search}")


def test_server_and_worker_processes_run_a_search_and_its_refinement(
    live_server: str, db_url: str, tmp_path: Path
) -> None:
    log = (tmp_path / "worker.log").open("wb")
    workers = hyperzoom(
        "worker", "--db", db_url, "--processes", "2", "--poll", "0.1", stdout=log, stderr=log
    )
    try:
        with httpx.Client(base_url=live_server, timeout=10) as api:
            created = api.post(
                "/api/experiments",
                json={"name": "e2e", "objective": "bowl", "search": {"n_trials": 30, "seed": 4}},
            )
            assert created.status_code == 201, created.text
            root = wait_done(api, created.json()["root_search_id"])
            assert root["counts"] == {
                "waiting": 0,
                "running": 0,
                "complete": 30,
                "failed": 0,
                "pruned": 0,
            }
            trials = api.get(f"/api/searches/{root['id']}/trials").json()
            assert sorted(t["number"] for t in trials) == list(range(30))

            best = min(trials, key=lambda t: t["value"])
            lr = best["params"]["learning_rate"]
            region = {"learning_rate": [lr / 3, min(lr * 3, 1.0)]}
            child = api.post(
                f"/api/searches/{root['id']}/refine", json={"region": region, "n_trials": 10}
            )
            assert child.status_code == 201, child.text
            child = wait_done(api, child.json()["id"])
            fine = api.get(f"/api/searches/{child['id']}/trials").json()
            assert len(fine) == 10
            assert all(lr / 3 <= t["params"]["learning_rate"] <= lr * 3 for t in fine)
            everything = api.get(f"/api/experiments/{created.json()['id']}/trials").json()
            assert len(everything) == 40
    finally:
        stop(workers)
        log.close()
    assert workers.returncode == 0, (tmp_path / "worker.log").read_text()


def test_what_a_response_reports_is_already_stored(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=10) as api:
        created = api.post("/api/experiments", json={"name": "c", "objective": "bowl"}).json()
        parent = created["root_search_id"]
        for _ in range(30):
            child = api.post(
                f"/api/searches/{parent}/refine", json={"region": {"x": [0.1, 0.9]}}
            ).json()
            assert api.get(f"/api/searches/{child['id']}").status_code == 200
