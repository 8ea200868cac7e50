"""Pruning on Ray: how soon a pruned trial stops after the pruner's decision (issue 18's
target: within 2 s).

A local Ray instance (`--cpus`, 2 by default), a fresh SQLite database, one search with the
ASHA pruner (min_resource 2, reduction factor 2) and the real worker loop with `RayEvaluator`:
a first trial with a good curve runs to its end, then `--trials` worse ones, each pruned at the
first rung. Each step sleeps `--sleep-ms` and reports; the objective stops when told to. Measured
in the worker, per pruned trial: from the store's answer "stop" (report returned True) to the
result being told (the answer travels to the task, the objective returns, the task ends, Ray
hands back the outcome); and in the task, each report's round trip (task → actor → worker →
database → back). Also the pruned trials' wall time against a whole curve's.

    .venv/bin/python benchmarks/ray_pruning.py [--trials 20] [--steps 30] [--sleep-ms 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.space import SearchSpace  # noqa: E402
from app.objectives import ObjectiveSpec  # noqa: E402
from app.store.claims import Claim, enqueue  # noqa: E402
from app.store.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from app.store.experiments import create_experiment  # noqa: E402
from app.store.migrate import upgrade  # noqa: E402
from app.store.models import Direction, TrialState  # noqa: E402
from app.store.searches import SearchSettings  # noqa: E402
from app.store.trial_reads import list_trials  # noqa: E402
from app.worker.backend import DatabaseBackend  # noqa: E402
from app.worker.loop import Worker, WorkerOptions  # noqa: E402
from app.worker.trial import Outcome  # noqa: E402
from benchmarks.report import fmt, machine, table  # noqa: E402

STEPS_ENV, SLEEP_ENV = "HZ_BENCH_STEPS", "HZ_BENCH_SLEEP_MS"  # read in the Ray task


def curve(params: dict[str, Any], trial: Any) -> dict[str, float]:
    """Runs in the Ray task: `x + 1 / (step + 1)` per step, stopping when pruned; returns the
    value with its reports' round trips (ms)."""
    steps = int(os.environ[STEPS_ENV])
    sleep = float(os.environ[SLEEP_ENV]) / 1000
    trips: list[float] = []
    value = 0.0
    for step in range(steps):
        time.sleep(sleep)
        value = params["x"] + 1 / (step + 1)
        start = time.perf_counter()
        stop = trial.report(step, value)
        trips.append((time.perf_counter() - start) * 1000)
        if stop:
            break
    return {"value": value, "trip_median": statistics.median(trips), "trip_max": max(trips)}


class TimedBackend(DatabaseBackend):
    """Notes when each trial was claimed, first told to stop, and told."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claimed: dict[int, float] = {}
        self.decided: dict[int, float] = {}
        self.told: dict[int, float] = {}

    def ask(self, *args: Any, **kwargs: Any) -> Claim | None:
        claim = super().ask(*args, **kwargs)
        if claim is not None:
            self.claimed[claim.trial_id] = time.monotonic()
        return claim

    def report(self, claim: Claim, step: int, value: float) -> bool:
        stop = super().report(claim, step, value)
        if stop:
            self.decided.setdefault(claim.trial_id, time.monotonic())
        return stop

    def tell(self, claim: Claim, outcome: Outcome) -> bool:
        self.told[claim.trial_id] = time.monotonic()
        return super().tell(claim, outcome)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="pruned trials to measure")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--sleep-ms", type=float, default=50)
    parser.add_argument("--cpus", type=int, default=2, help="of the local Ray instance")
    args = parser.parse_args()
    os.environ[STEPS_ENV], os.environ[SLEEP_ENV] = str(args.steps), str(args.sleep_ms)
    print(machine())

    import ray

    from app.worker.ray_tasks import RayEvaluator

    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/hz.db"
        upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        xs = [0.0] + [0.1 + 0.01 * k for k in range(args.trials)]  # each worse than the last
        with session_scope(factory) as s:
            _, search = create_experiment(
                s,
                name="ray pruning",
                objective="curve",
                direction=Direction.MINIMIZE,
                space=SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}}),
                settings=SearchSettings(
                    n_trials=len(xs),
                    seed=1,
                    pruner={"type": "asha", "min_resource": 2, "reduction_factor": 2},
                ),
            )
            for x in xs:
                enqueue(s, search.id, {"x": x})
            search_id = search.id
        backend = TimedBackend(factory)
        spec = ObjectiveSpec("curve", "benchmarks.ray_pruning:curve", "minimize", "curve")
        worker = Worker(
            backend,
            {"curve": spec},
            evaluator=RayEvaluator("local"),
            options=WorkerOptions(poll=0.05),
        )
        worker.run(max_trials=len(xs))
        with session_scope(factory) as s:
            trials = sorted(list_trials(s, search_id=search_id), key=lambda t: t.number)
            states = [(t.id, t.state, t.metrics) for t in trials]
        engine.dispose()
    ray.shutdown()

    pruned = [(i, m) for i, state, m in states if state is TrialState.PRUNED]
    latency = [(backend.told[i] - backend.decided[i]) * 1000 for i, _ in pruned]
    wall = [backend.told[i] - backend.claimed[i] for i, _ in pruned]
    trips = [m["trip_median"] for _, m in pruned]
    trips_max = [m["trip_max"] for _, m in pruned]
    full = args.steps * args.sleep_ms / 1000
    first = states[0]
    print(
        f"{len(pruned)} of {args.trials} bad trials pruned; the good one "
        f"{first[1].value}; {args.steps} steps of {args.sleep_ms:g} ms (a whole curve "
        f"{full:g} s), local Ray with {args.cpus} CPUs"
    )
    print(
        table(
            ["figure", "median", "max"],
            [
                [
                    "decision → result told (ms)",
                    fmt(statistics.median(latency)),
                    fmt(max(latency)),
                ],
                [
                    "report round trip in the task (ms)",
                    fmt(statistics.median(trips)),
                    fmt(max(trips_max)),
                ],
                ["pruned trial, claim → told (s)", fmt(statistics.median(wall)), fmt(max(wall))],
            ],
        )
    )


if __name__ == "__main__":
    main()
