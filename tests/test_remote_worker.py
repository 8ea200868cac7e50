"""Workers on other machines: over HTTP to a real server (with a token), and Ray tasks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.processes import hyperzoom, running_server

pytestmark = pytest.mark.slow
TOKEN = "remote-secret"


def make_search(url: str, n_trials: int, token: str | None = None) -> dict:
    """An experiment on the bowl objective; returns it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    created = httpx.post(
        f"{url}/api/experiments",
        json={"name": "remote", "objective": "bowl", "search": {"n_trials": n_trials}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return created.json()


def test_a_remote_worker_needs_the_token_and_then_runs_the_search(
    db_url: str, tmp_path: Path
) -> None:
    with running_server(db_url, tmp_path / "server.log", HYPERZOOM_TOKEN=TOKEN) as url:
        experiment = make_search(url, 5, TOKEN)
        refused = subprocess.run(
            [*_worker(url), "--idle-exit", "0.5"],
            capture_output=True,
            text=True,
            timeout=60,
            env=_env(),
        )
        assert refused.returncode == 1
        assert "401" in refused.stderr and "Traceback" not in refused.stderr
        accepted = hyperzoom(
            *_worker(url)[3:],
            "--token",
            TOKEN,
            "--idle-exit",
            "1",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert accepted.wait(timeout=60) == 0
        search = httpx.get(f"{url}/api/searches/{experiment['root_search_id']}").json()
    assert search["status"] == "done" and search["counts"]["complete"] == 5


def _worker(url: str) -> list[str]:
    import sys

    return [sys.executable, "-m", "app", "worker", "--server", url, "--poll", "0.05"]


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "HYPERZOOM_TOKEN"}


def test_ray_runs_the_trials_as_tasks(db_url: str, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    with running_server(db_url, tmp_path / "server.log") as url:
        experiment = make_search(url, 4)
        log = tmp_path / "ray-worker.log"
        with log.open("wb") as out:
            process = hyperzoom(
                "worker",
                "--db",
                db_url,
                "--ray",
                "local",
                "--cpus-per-trial",
                "1",
                "--idle-exit",
                "2",
                "--poll",
                "0.1",
                stdout=out,
                stderr=out,
            )
        assert process.wait(timeout=180) == 0, log.read_text()[-3000:]
        trials = httpx.get(f"{url}/api/searches/{experiment['root_search_id']}/trials").json()
    assert sorted(t["number"] for t in trials) == [0, 1, 2, 3]
    assert all(t["state"] == "complete" for t in trials)
