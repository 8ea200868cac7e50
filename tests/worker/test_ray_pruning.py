"""Pruning on Ray: a task's reports reach the worker while it runs and the pruner's answer
gets back, so a pruned trial stops within 2 s (issue 18); cancelling stops the task too.

On a local Ray instance of 2 CPUs and a temp SQLite database, the worker loop as it runs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.core.states import TrialState
from app.objectives import ObjectiveSpec
from app.store.claims import Claim, enqueue
from app.store.db import session_scope
from app.store.trial_reads import intermediate_values
from app.worker.backend import DatabaseBackend
from app.worker.loop import Worker, WorkerOptions
from app.worker.trial import Outcome
from tests.support.workers import make_search, trials_of

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

MODULE = "tests.worker.ray_objectives"
FULL = 30 * 0.1  # seconds a whole curve of tests/worker/ray_objectives.py takes, at least
GOOD, BAD, BETTER = 0.1, 0.9, 0.05  # x of three trials, in the order they run


@pytest.fixture
def db_url(sqlite_db_url: str) -> str:
    """SQLite only: the backend is not what these tests are about, and Ray is slow to start."""
    return sqlite_db_url


@pytest.fixture(scope="module")
def progress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray instance for the module (2 CPUs), whose tasks log each step's time under
    the folder yielded (the variable must be set before Ray starts its processes)."""
    folder = tmp_path_factory.mktemp("ray-progress")
    before = os.environ.get("HZ_RAY_PROGRESS")
    os.environ["HZ_RAY_PROGRESS"] = str(folder)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield folder
    finally:
        ray.shutdown()
        if before is None:
            del os.environ["HZ_RAY_PROGRESS"]
        else:
            os.environ["HZ_RAY_PROGRESS"] = before


class TimedBackend(DatabaseBackend):
    """The database backend, noting when the pruner first said stop to each trial and when
    each result was told: the latency the issue's target is about."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        super().__init__(factory)
        self.decided: dict[int, float] = {}
        self.told: dict[int, float] = {}

    def report(self, claim: Claim, step: int, value: float) -> bool:
        stop = super().report(claim, step, value)
        if stop:
            self.decided.setdefault(claim.trial_id, time.monotonic())
        return stop

    def tell(self, claim: Claim, outcome: Outcome) -> bool:
        self.told[claim.trial_id] = time.monotonic()
        return super().tell(claim, outcome)


def ray_worker(backend: DatabaseBackend, name: str) -> Worker:
    """A worker that runs `name` of tests/worker/ray_objectives.py as Ray tasks."""
    from app.worker.ray_tasks import RayEvaluator

    spec = ObjectiveSpec("toy", f"{MODULE}:{name}", "minimize", name)
    return Worker(
        backend, {"toy": spec}, evaluator=RayEvaluator("local"), options=WorkerOptions(poll=0.05)
    )


def queued_search(factory: sessionmaker[Session], pruner: dict[str, Any], *xs: float) -> int:
    """A search whose trials are these x, in this order."""
    search_id = make_search(factory, len(xs), pruner=pruner)
    with session_scope(factory) as s:
        for x in xs:
            enqueue(s, search_id, {"learning_rate": 1e-3, "x": x})
    return search_id


def in_background(worker: Worker, **kwargs: Any) -> threading.Thread:
    """Run the worker loop in a thread (the test watches the database meanwhile)."""
    thread = threading.Thread(target=worker.run, kwargs=kwargs, daemon=True)
    thread.start()
    return thread


def curve(factory: sessionmaker[Session], trial_id: int) -> list[tuple[int, float]]:
    """The intermediate values stored for a trial."""
    with session_scope(factory) as s:
        return list(intermediate_values(s, trial_id))


def wait_for(check: Any, timeout: float = 60) -> Any:
    """Poll `check()` until it returns something truthy."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def fresh(progress: Path, *xs: float) -> None:
    """Forget the steps logged by earlier tests' trials of these x."""
    for x in xs:
        (progress / f"{x}.log").unlink(missing_ok=True)


def ticks(progress: Path, x: float) -> list[float]:
    """When the task of the trial with this x ran each step (wall clock)."""
    log = progress / f"{x}.log"
    return [float(line) for line in log.read_text().split()] if log.exists() else []


@pytest.mark.parametrize(
    "pruner",
    [
        {"type": "asha", "min_resource": 1, "reduction_factor": 2},
        {"type": "median", "n_startup_trials": 1, "n_warmup_steps": 1},
    ],
    ids=["asha", "median"],
)
def test_a_pruned_ray_trial_stops_within_2_s_and_good_ones_complete(
    factory: sessionmaker[Session], progress: Path, pruner: dict[str, Any]
) -> None:
    fresh(progress, GOOD, BAD, BETTER)
    search_id = queued_search(factory, pruner, GOOD, BAD, BETTER)
    backend = TimedBackend(factory)
    thread = in_background(ray_worker(backend, "honours"), max_trials=3)
    first = trials_of(factory, search_id)[0]

    # While the first trial runs on Ray, its learning curve grows in the database.
    def growing() -> list[Any] | None:
        values = curve(factory, first.id)
        return values if len(values) >= 5 else None

    values = wait_for(growing)
    assert trials_of(factory, search_id)[0].state is TrialState.RUNNING
    assert [step for step, _ in values] == list(range(len(values)))

    thread.join(timeout=120)
    assert not thread.is_alive()
    good, bad, better = trials_of(factory, search_id)
    assert (good.state, better.state) == (TrialState.COMPLETE, TrialState.COMPLETE)
    assert len(curve(factory, good.id)) == len(curve(factory, better.id)) == 30
    assert bad.state is TrialState.PRUNED
    bad_curve = curve(factory, bad.id)
    assert [step for step, _ in bad_curve] == [0, 1]  # stopped at the first step it could
    assert bad.value == pytest.approx(BAD + 1 / 2) == bad_curve[-1][1]
    assert list(backend.decided) == [bad.id]
    latency = backend.told[bad.id] - backend.decided[bad.id]
    print(f"\n{pruner['type']}: decision to stop {latency * 1000:.1f} ms")
    assert latency < 2.0
    # The task itself stopped: it ran no step after the one that got the answer.
    assert len(ticks(progress, BAD)) == 2


def test_an_objective_that_ignores_the_answer_runs_to_its_end_and_is_recorded_pruned(
    factory: sessionmaker[Session], progress: Path
) -> None:
    pruner = {"type": "median", "n_startup_trials": 1, "n_warmup_steps": 1}
    fresh(progress, GOOD + 0.01, BAD + 0.01)
    search_id = queued_search(factory, pruner, GOOD + 0.01, BAD + 0.01)
    backend = TimedBackend(factory)
    assert ray_worker(backend, "ignores").run(max_trials=2) == 2
    good, bad = trials_of(factory, search_id)
    assert good.state is TrialState.COMPLETE
    # As in the worker's child: the pruner's answer is kept, the curve goes on to its end.
    assert bad.state is TrialState.PRUNED
    assert len(curve(factory, bad.id)) == len(ticks(progress, BAD + 0.01)) == 30
    assert bad.value == pytest.approx(BAD + 0.01 + 1 / 30)
    assert backend.told[bad.id] - backend.decided[bad.id] > FULL - 0.5


def test_stopping_the_worker_cancels_the_task_within_2_s_and_gives_the_trial_back(
    factory: sessionmaker[Session], progress: Path
) -> None:
    x = 0.4
    fresh(progress, x)
    search_id = queued_search(factory, None, x)
    worker = ray_worker(DatabaseBackend(factory), "endless")
    thread = in_background(worker)
    [trial] = trials_of(factory, search_id)
    wait_for(lambda: len(curve(factory, trial.id)) >= 3)

    worker.stop_event.set()  # what Ctrl-C or SIGTERM does; a lost heartbeat is the same path
    stopped_at = time.time()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert time.time() - stopped_at < 2.0
    time.sleep(1.0)  # a task still running would log a step every 0.1 s meanwhile
    last = ticks(progress, x)[-1]
    print(f"\nlast step {(last - stopped_at) * 1000:.0f} ms after the stop")
    assert last - stopped_at < 2.0
    assert time.time() - last > 0.8
    [trial] = trials_of(factory, search_id)
    assert trial.state is TrialState.WAITING  # given back for another worker


def test_a_trial_past_its_timeout_fails_and_its_task_stops(progress: Path) -> None:
    from app.worker.ray_tasks import RayEvaluator

    evaluator = RayEvaluator("local")
    spec = ObjectiveSpec("endless", f"{MODULE}:endless", "minimize", "endless")
    x = 0.7
    fresh(progress, x)
    seen: list[int] = []

    def go_on(step: int, value: float) -> bool:
        seen.append(step)
        return False

    try:
        # Long enough for Ray to start a process for it (an earlier test's was killed).
        outcome = evaluator.evaluate(spec, {"x": x}, go_on, timeout=5.0)
        ended = time.time()
        assert outcome is not None and outcome.state is TrialState.FAILED
        assert outcome.error == "timed out after 5 s"
        assert seen  # the reports came in while it ran (and were answered: go on)
        # The same evaluator goes on with the next trial.
        quick = ObjectiveSpec("honours", f"{MODULE}:honours", "minimize", "honours")
        pruned = evaluator.evaluate(quick, {"x": 0.2}, lambda step, value: step == 0)
        assert pruned == Outcome(TrialState.PRUNED, 0.2 + 1.0)
    finally:
        evaluator.close()
    time.sleep(0.5)  # a task still running would log a step every 0.1 s meanwhile
    assert ticks(progress, x)[-1] - ended < 0.3


def test_a_lost_mailbox_costs_one_trial_its_pruning_not_its_result(progress: Path) -> None:
    from app.worker.ray_tasks import RayEvaluator

    evaluator = RayEvaluator("local")
    spec = ObjectiveSpec("honours", f"{MODULE}:honours", "minimize", "honours")
    x = 0.3
    fresh(progress, x)

    def lose_the_mailbox(step: int, value: float) -> bool:
        if step == 2:  # as if its node died: the task's next reports go nowhere
            ray.kill(evaluator._mailbox)
        return False

    try:
        outcome = evaluator.evaluate(spec, {"x": x}, lose_the_mailbox, timeout=60)
        assert outcome == Outcome(TrialState.COMPLETE, x + 1 / 30)
        assert len(ticks(progress, x)) == 30
        # A new mailbox serves the next trial, and pruning works again.
        pruned = evaluator.evaluate(spec, {"x": 0.2}, lambda step, value: step == 1)
        assert pruned == Outcome(TrialState.PRUNED, 0.2 + 1 / 2)
    finally:
        evaluator.close()
