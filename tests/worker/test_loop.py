"""The worker loop on a temp database: results stored, failures recorded, the search goes on."""

from __future__ import annotations

import math
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.objectives import BUILTINS, ObjectiveSpec
from app.store.db import session_scope
from app.store.experiments import create_experiment, get_search
from app.store.models import Direction, SearchStatus, TrialState
from app.store.trials import list_trials
from app.worker.loop import Worker
from app.worker.objectives import ObjectiveError, load, registered

SPEC = ObjectiveSpec("toy", "unused:unused", "minimize", "toy")


def _search(factory: sessionmaker[Session], n_trials: int, objective: str = "toy") -> int:
    with session_scope(factory) as s:
        _, search = create_experiment(
            s,
            name="w",
            objective=objective,
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(BUILTINS["bowl"].space),
            n_trials=n_trials,
            seed=1,
        )
        return search.id


def _trials(factory: sessionmaker[Session], search_id: int) -> list[Any]:
    with session_scope(factory) as s:
        return sorted(list_trials(s, search_id=search_id), key=lambda t: t.number)


def test_run_evaluates_the_whole_budget(factory: sessionmaker[Session]) -> None:
    search_id = _search(factory, 5)
    worker = Worker(factory, {"toy": SPEC}, functions={"toy": lambda p: p["x"]})
    assert worker.run(idle_exit=0) == 5
    trials = _trials(factory, search_id)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 5
    assert all(t.value == t.params["x"] for t in trials)
    assert all(t.worker == worker.name and t.finished_at is not None for t in trials)
    with session_scope(factory) as s:
        assert get_search(s, search_id).status is SearchStatus.DONE


def test_an_objective_that_raises_fails_one_trial_and_the_worker_goes_on(
    factory: sessionmaker[Session],
) -> None:
    search_id = _search(factory, 4)

    def flaky(params: dict[str, Any]) -> float:
        if params["x"] > 0.5:
            raise RuntimeError("diverged at x > 0.5")
        return params["x"]

    worker = Worker(factory, {"toy": SPEC}, functions={"toy": flaky})
    assert worker.run(idle_exit=0) == 4
    trials = _trials(factory, search_id)
    failed = [t for t in trials if t.params["x"] > 0.5]
    assert failed, "the seeded search should draw some x > 0.5"
    for t in failed:
        assert t.state is TrialState.FAILED and t.value is None
        assert "RuntimeError: diverged at x > 0.5" in t.error
        assert "Traceback" in t.error
    assert all(t.state is TrialState.COMPLETE for t in trials if t.params["x"] <= 0.5)


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (math.nan, "not a finite number"),
        (math.inf, "not a finite number"),
        ("0.9", "not a number"),
        (None, "not a number"),
        (True, "not a number"),
    ],
)
def test_a_bad_value_fails_the_trial_with_a_reason(
    factory: sessionmaker[Session], result: Any, reason: str
) -> None:
    search_id = _search(factory, 1)
    Worker(factory, {"toy": SPEC}, functions={"toy": lambda p: result}).run(idle_exit=0)
    [trial] = _trials(factory, search_id)
    assert trial.state is TrialState.FAILED
    assert reason in trial.error


def test_a_worker_ignores_objectives_it_does_not_know(factory: sessionmaker[Session]) -> None:
    search_id = _search(factory, 2, objective="other")
    assert Worker(factory, {"toy": SPEC}, functions={"toy": lambda p: 0.0}).run(idle_exit=0) == 0
    assert _trials(factory, search_id) == []


def test_builtin_objectives_load_and_run() -> None:
    bowl = load(BUILTINS["bowl"].target)
    assert bowl({"learning_rate": 1e-3, "x": 0.3}) == 0.0
    assert bowl({"learning_rate": 1e-1, "x": 0.3}) == pytest.approx(4.0)


@pytest.mark.slow
def test_the_demo_objective_trains_a_real_network() -> None:
    mlp = load(BUILTINS["mlp-digits"].target)
    good = mlp(
        {
            "learning_rate_init": 1e-2,
            "hidden_units": 32,
            "layers": 1,
            "batch_size": 64,
            "alpha": 1e-4,
            "solver": "adam",
            "momentum": 0.9,
        }
    )
    bad = mlp(
        {
            "learning_rate_init": 1e-5,
            "hidden_units": 8,
            "layers": 1,
            "batch_size": 512,
            "alpha": 1e-4,
            "solver": "sgd",
            "momentum": 0.5,
        }
    )
    assert good > 0.9 and bad < 0.5


@pytest.mark.parametrize("target", ["nocolon", "os:", ":path"])
def test_malformed_objective_targets_are_refused_at_registration(target: str) -> None:
    with pytest.raises(ObjectiveError, match="must look like package.module:function"):
        registered([target])


@pytest.mark.parametrize(
    ("target", "reason"),
    [("no_such_module_xyz:f", "cannot import"), ("math:nope", "has no function")],
)
def test_unloadable_objectives_are_clear_errors(target: str, reason: str) -> None:
    with pytest.raises(ObjectiveError, match=reason):
        load(target)
