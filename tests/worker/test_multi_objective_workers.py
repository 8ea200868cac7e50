"""Several objectives reach the samplers, end to end: `tpe` and `nsga2` searches on experiments
declaring two metrics (one bounded), each run by a real worker process on a user's objective
file. Each worker has its search to itself and runs one trial at a time, so trial n was asked
with trials 0..n-1 finished: replaying that history through the sampler gives every trial's
params exactly when the history carries both metrics and the bound, and other params when it
carries the value alone or leaves the bound out. So the workers' samplers learnt from both
metrics and the bound, and this cannot pass by accident: every trial must match.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.metric_log import MetricLog
from app.core.metrics import Objectives
from app.core.samplers import Position, make_sampler, trial_rng
from app.core.space import SearchSpace
from app.main import create_app
from app.settings import Settings

pytest.importorskip("optuna")

HYPERZOOM = Path(sys.executable).with_name("hyperzoom")
# Accuracy grows with x, and so does the time it costs; y only costs time. Above 0.8 s a
# trial is infeasible. Two names for one function, so that each worker serves one search.
OBJECTIVE = """
def objective(params):
    x, y = params["x"], params["y"]
    return {"accuracy": x, "fit_seconds": x * x + y}


other = objective
"""
METRICS = [
    {"name": "accuracy", "direction": "maximize"},
    {"name": "fit_seconds", "direction": "minimize", "upper": 0.8},
]
UNBOUNDED = [METRICS[0], {"name": "fit_seconds", "direction": "minimize"}]
SPACE = {
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "y": {"type": "float", "low": 0.0, "high": 0.5},
}
SEARCHES = {
    "tradeoff.py:objective": {
        "sampler": "tpe",
        "options": {"n_startup_trials": 4},
        "n_trials": 14,
        "seed": 5,
    },
    "tradeoff.py:other": {
        "sampler": "nsga2",
        "options": {"population_size": 4},
        "n_trials": 16,
        "seed": 5,
    },
}


def replay(
    search: dict[str, Any], trials: list[dict[str, Any]], metrics: list[dict] | None
) -> list[dict]:
    """Each trial's params as the sampler picks them from the trials before it, given the
    `metrics` declared (None: the value alone)."""
    space = SearchSpace.from_dict(SPACE)
    sampler = make_sampler(search["sampler"], search["options"])
    seed, budget = search["seed"], search["n_trials"]
    asked = []
    for n in range(len(trials)):
        before = trials[:n]
        history: Any = [(t["params"], t["value"]) for t in before]
        if metrics:
            history = MetricLog(space, "maximize", Objectives.of(metrics))  # type: ignore[arg-type]
            history.merge(
                (t["number"], t["params"], t["value"], [t["value"], t["metrics"]["fit_seconds"]])
                for t in before
            )
        position = Position(seed, n, budget)
        asked.append(
            sampler.suggest(
                space, history, trial_rng(seed, n), 1, position=position, direction="maximize"
            )[0]
        )
    return asked


@pytest.mark.slow
def test_tpe_and_nsga2_workers_learn_from_both_metrics_and_the_bound(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    (tmp_path / "tradeoff.py").write_text(OBJECTIVE)
    with TestClient(create_app(Settings(database_url=sqlite_db_url))) as client:
        register = {
            "worker": "setup",
            "objectives": [{"name": name, "direction": "maximize"} for name in SEARCHES],
        }
        assert client.post("/api/objectives/register", json=register).status_code == 204
        made = {}
        for target, search in SEARCHES.items():
            body = {
                "name": search["sampler"],
                "objective": target,
                "space": SPACE,
                "metrics": METRICS,
                "search": search,
            }
            response = client.post("/api/experiments", json=body)
            assert response.status_code == 201, response.text
            made[target] = response.json()["id"]

        workers = [
            subprocess.Popen(
                [
                    str(HYPERZOOM),
                    "worker",
                    "--db",
                    sqlite_db_url,
                    "--objective",
                    target,
                    "--idle-exit",
                    "1",
                    "--poll",
                    "0.1",
                ],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for target in SEARCHES
        ]
        outputs = [w.communicate(timeout=240) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs

        for target, search in SEARCHES.items():
            trials = client.get(
                f"/api/experiments/{made[target]}/trials", params={"limit": 1000}
            ).json()
            trials.sort(key=lambda t: t["number"])
            assert [t["number"] for t in trials] == list(range(search["n_trials"]))
            assert {t["state"] for t in trials} == {"complete"}, trials
            for t in trials:  # both metrics recorded: the first as the value
                x, y = t["params"]["x"], t["params"]["y"]
                assert t["value"] == x and t["metrics"] == {"fit_seconds": x * x + y}
            recorded = [t["params"] for t in trials]
            assert any(t["metrics"]["fit_seconds"] > 0.8 for t in trials)  # the bound bites
            assert replay(search, trials, METRICS) == recorded, search["sampler"]
            assert replay(search, trials, None) != recorded, search["sampler"]
            assert replay(search, trials, UNBOUNDED) != recorded, search["sampler"]
