"""The worker loop on a real database: results stored, failures recorded, budgets exact."""

from __future__ import annotations

import math
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.objectives import BUILTINS
from app.store.db import session_scope
from app.store.models import SearchStatus, TrialState
from app.store.searches import get_search
from app.store.trial_reads import intermediate_values
from app.worker.registry import ObjectiveError, load, registered
from tests.support.workers import in_process, make_search, trials_of


def test_run_evaluates_the_whole_budget(factory: sessionmaker[Session]) -> None:
    search_id = make_search(factory, 5)
    worker = in_process(factory, lambda p: p["x"])
    assert worker.run(idle_exit=0) == 5
    trials = trials_of(factory, search_id)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 5
    assert all(t.value == t.params["x"] for t in trials)
    assert all(t.worker == worker.name and t.finished_at is not None for t in trials)
    with session_scope(factory) as s:
        assert get_search(s, search_id).status is SearchStatus.DONE


def test_an_objective_that_raises_fails_one_trial_and_the_worker_goes_on(
    factory: sessionmaker[Session],
) -> None:
    search_id = make_search(factory, 4)

    def flaky(params: dict[str, Any]) -> float:
        if params["x"] > 0.5:
            raise RuntimeError("diverged at x > 0.5")
        return params["x"]

    assert in_process(factory, flaky).run(idle_exit=0) == 4
    trials = trials_of(factory, search_id)
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
        ({"loss": 1.0}, "without 'value'"),
    ],
)
def test_a_bad_value_fails_the_trial_with_a_reason(
    factory: sessionmaker[Session], result: Any, reason: str
) -> None:
    search_id = make_search(factory, 1)
    in_process(factory, lambda p: result).run(idle_exit=0)
    [trial] = trials_of(factory, search_id)
    assert trial.state is TrialState.FAILED
    assert reason in trial.error


def test_a_dict_of_metrics_stores_the_value_and_the_rest(factory: sessionmaker[Session]) -> None:
    search_id = make_search(factory, 2)
    in_process(factory, lambda p: {"value": 0.25, "accuracy": 0.75, "bad": math.nan}).run(
        idle_exit=0
    )
    for trial in trials_of(factory, search_id):
        assert trial.value == 0.25
        assert trial.metrics == {"accuracy": 0.75, "bad": None}


def test_a_worker_ignores_objectives_it_does_not_know(factory: sessionmaker[Session]) -> None:
    search_id = make_search(factory, 2, objective="other")
    assert in_process(factory, lambda p: 0.0).run(idle_exit=0) == 0
    assert trials_of(factory, search_id) == []


def test_intermediate_values_are_stored_and_the_median_pruner_stops_bad_trials(
    factory: sessionmaker[Session],
) -> None:
    search_id = make_search(
        factory, 12, pruner={"type": "median", "n_startup_trials": 3, "n_warmup_steps": 1}
    )

    def curve(params: dict[str, Any], trial: Any) -> float:
        for step in range(4):
            if trial.report(step, params["x"] * (step + 1)):
                return params["x"] * (step + 1)
        return params["x"] * 4

    in_process(factory, curve).run(idle_exit=0)
    trials = trials_of(factory, search_id)
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert pruned and complete and len(pruned) + len(complete) == 12
    with session_scope(factory) as s:
        for t in complete:
            assert [step for step, _ in intermediate_values(s, t.id)] == [0, 1, 2, 3]
        for t in pruned:
            curve_ = intermediate_values(s, t.id)
            assert 2 <= len(curve_) <= 4  # never pruned before the warm-up step
            assert t.value == curve_[-1][1]
    # Pruned trials are the worse ones: each was worse than the median of those before it.
    assert min(t.params["x"] for t in pruned) > min(t.params["x"] for t in complete)


def test_builtin_objectives_load_and_run() -> None:
    bowl = load(BUILTINS["bowl"].target)
    assert bowl({"learning_rate": 1e-3, "x": 0.3}) == 0.0
    assert bowl({"learning_rate": 1e-1, "x": 0.3}) == pytest.approx(4.0)


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
