"""What the Pareto front costs at 100,000 complete trials: the filter alone (app/core/pareto.py,
random points, 2 to 4 metrics, and a two-metric front of every point) and
GET /api/experiments/{id}/pareto end to end (SQLite file, server in-process, the metrics read
and decoded, then filtered).

    .venv/bin/python benchmarks/pareto.py
    .venv/bin/python benchmarks/pareto.py --trials 10000 --repeats 1
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import insert

from app.core.pareto import non_dominated
from app.main import create_app
from app.settings import Settings
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.migrate import upgrade
from app.store.models import Trial, TrialState


def timed(fn, repeats: int) -> float:  # noqa: ANN001 - any callable
    """The median of `repeats` timings of fn(), in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def filter_alone(n: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    for k in (2, 3, 4):
        points = rng.random((n, k))
        front = int(non_dominated(points).sum())
        print(f"filter, {k} metrics: {timed(lambda p=points: non_dominated(p), repeats):.3f} s "
              f"({front} on the front)")  # fmt: skip
    x = rng.random(n)
    line = np.c_[x, 1 - x]
    print(
        f"filter, 2 metrics, all on the front: {timed(lambda: non_dominated(line), repeats):.3f} s"
    )


def endpoint(n: int, k: int, repeats: int) -> None:
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'pareto.db'}"
    upgrade(url)
    metrics = [{"name": "acc", "direction": "maximize"}]
    metrics += [{"name": f"m{j}", "direction": "minimize"} for j in range(1, k)]
    with TestClient(create_app(Settings(database_url=url))) as client:
        body = {"name": "b", "objective": "bowl", "metrics": metrics, "search": {"n_trials": n}}
        e = client.post("/api/experiments", json=body).json()
        rng = random.Random(0)
        engine = make_engine(url)
        with session_scope(make_sessionmaker(engine)) as s:
            s.execute(
                insert(Trial),
                [
                    {
                        "experiment_id": e["id"],
                        "search_id": e["root_search_id"],
                        "number": i,
                        "state": TrialState.COMPLETE,
                        "value": rng.random(),
                        "attempt": 0,
                        "params": {"learning_rate": rng.random(), "x": rng.random()},
                        "metrics": {f"m{j}": rng.random() for j in range(1, k)} | {"tag": "t"},
                        "lost": 0,
                        "seq": i + 1,
                    }  # fmt: skip
                    for i in range(n)
                ],
            )
        engine.dispose()
        path = f"/api/experiments/{e['id']}/pareto"
        front = len(client.get(path).json()["trial_ids"])
        print(f"GET .../pareto, {k} metrics: {timed(lambda: client.get(path), repeats):.3f} s "
              f"({front} on the front)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    filter_alone(args.trials, args.repeats)
    for k in (2, 3):
        endpoint(args.trials, k, args.repeats)


if __name__ == "__main__":
    main()
