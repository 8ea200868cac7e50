"""Two objectives end to end: an experiment declaring two metrics (one bounded), run by two
real worker processes on a user's objective file that returns both, and the front the API
answers checked against the definition, pair by pair, over the trials the API lists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

HYPERZOOM = Path(sys.executable).with_name("hyperzoom")
TARGET = "tradeoff.py:objective"
# Accuracy grows with x, and so does the time it costs; y only costs time: the front is the
# trials of least y for their x, and a time above 1.2 s is infeasible.
OBJECTIVE = """
def objective(params):
    x, y = params["x"], params["y"]
    return {"accuracy": x, "fit_seconds": x * x + y, "note": "a string metric is kept"}
"""
METRICS = [
    {"name": "accuracy", "direction": "maximize"},
    {"name": "fit_seconds", "direction": "minimize", "upper": 1.2},
]


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Higher accuracy and lower time, no worse on both and better on one."""
    return a[0] >= b[0] and a[1] <= b[1] and (a[0] > b[0] or a[1] < b[1])


def test_two_worker_processes_run_two_objectives_and_the_front_is_the_true_one(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    (tmp_path / "tradeoff.py").write_text(OBJECTIVE)
    with TestClient(create_app(Settings(database_url=sqlite_db_url))) as client:
        register = {"worker": "setup", "objectives": [{"name": TARGET, "direction": "maximize"}]}
        assert client.post("/api/objectives/register", json=register).status_code == 204
        response = client.post(
            "/api/experiments",
            json={
                "name": "trade-off",
                "objective": TARGET,
                "space": {
                    "x": {"type": "float", "low": 0.0, "high": 1.0},
                    "y": {"type": "float", "low": 0.0, "high": 0.5},
                },
                "metrics": METRICS,
                "search": {"sampler": "random", "n_trials": 40, "seed": 3},
            },
        )
        assert response.status_code == 201, response.text
        experiment_id = response.json()["id"]

        args = ["worker", "--db", sqlite_db_url, "--objective", TARGET]
        workers = [
            subprocess.Popen(
                [str(HYPERZOOM), *args, "--idle-exit", "1", "--poll", "0.1"],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=180) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs

        trials: list[dict[str, Any]] = client.get(
            f"/api/experiments/{experiment_id}/trials", params={"limit": 1000}
        ).json()
        assert len(trials) == 40 and {t["state"] for t in trials} == {"complete"}, trials
        assert {t["worker"] for t in trials} != {None}
        point = {t["id"]: (t["value"], t["metrics"]["fit_seconds"]) for t in trials}
        for t in trials:  # the first metric is the value; the rest stay metrics
            assert t["value"] == t["params"]["x"] and "accuracy" not in t["metrics"]
        feasible = {i for i, (_, seconds) in point.items() if seconds <= 1.2}
        expected = sorted(
            i for i in feasible if not any(dominates(point[j], point[i]) for j in feasible)
        )

        answer = client.get(f"/api/experiments/{experiment_id}/pareto").json()
        assert answer["trial_ids"] == expected
        assert answer["infeasible_ids"] == sorted(set(point) - feasible)
        assert answer["missing_ids"] == []
        assert 1 < len(expected) < len(feasible)  # a real trade-off, not one winner
        best = client.get(f"/api/experiments/{experiment_id}").json()["best_value"]
        assert best == max(v for v, _ in point.values())  # best follows the first metric
