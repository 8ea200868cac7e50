"""Several objectives in the samplers: the log carries each trial's metrics, the Optuna study
built from it has their directions, values and constraints (tpe, nsga2), NSGA-II's parents are
the history's non-dominated feasible trials, and zoom counts a trial breaking a bound as failed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.core.metric_log import MetricLog
from app.core.metrics import Objectives
from app.core.samplers import Position, make_sampler, trial_rng
from app.core.space import SearchSpace
from app.core.trial_log import TrialLog

SPACE = SearchSpace.from_dict(
    {
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "y": {"type": "float", "low": 0.0, "high": 1.0},
    }
)
# Accuracy up, seconds down and at most 1.0.
TWO = Objectives.of(
    [
        {"name": "accuracy", "direction": "maximize"},
        {"name": "seconds", "direction": "minimize", "upper": 1.0},
    ]
)
NAN = math.nan


def point(x: float, y: float = 0.5) -> dict[str, Any]:
    return {"x": x, "y": y}


def test_objectives_are_only_made_for_more_than_the_value() -> None:
    assert Objectives.of(None) is None
    assert Objectives.of([{"name": "loss", "direction": "minimize"}]) is None
    one = Objectives.of([{"name": "loss", "direction": "minimize", "lower": 0.1, "upper": 2.0}])
    assert one is not None and one.constrained and one.directions == ("minimize",)
    assert one.violations([0.5]) == [0.5 - 2.0, 0.1 - 0.5]  # metric - upper, lower - metric
    assert one.feasible([0.1]) and not one.feasible([2.5]) and not one.feasible([NAN])
    assert TWO is not None and TWO.names == ("accuracy", "seconds")


def test_the_log_keeps_each_trials_metrics_in_key_order() -> None:
    log = MetricLog(SPACE, "maximize", TWO)
    log.merge([(5, point(0.5), 0.5, [0.5, 0.3]), (2, point(0.2), 0.2, [0.2, 0.1])])
    log.merge([(3, point(0.3), 0.3, [0.3, NAN]), (9, {"x": 2.0, "y": 0.0}, 2.0, [2.0, 0.0])])
    assert [p["x"] for p, _ in log] == [0.2, 0.3, 0.5]  # x = 2.0 lies outside the space
    np.testing.assert_array_equal(log.vectors(), [[0.2, 0.1], [0.3, NAN], [0.5, 0.3]])
    log.merge([(3, point(0.3), 0.3, [0.3, 0.2])], gone=[5])
    np.testing.assert_array_equal(log.vectors(), [[0.2, 0.1], [0.3, 0.2]])


def test_zoom_reads_a_trial_that_breaks_a_bound_or_lacks_its_metric_as_failed() -> None:
    log = MetricLog(SPACE, "maximize", TWO)
    rows = [
        (0, point(0.1), 0.1, [0.1, 0.5]),  # feasible
        (1, point(0.9), 0.9, [0.9, 1.5]),  # the best value, but too slow
        (2, point(0.8), 0.8, [0.8, NAN]),  # its time is missing
        (3, point(0.4), None, [NAN, NAN]),  # failed
    ]
    log.merge(rows)
    assert log.y.tolist() == [-0.1, np.inf, np.inf, np.inf]
    plain = TrialLog(SPACE, "maximize")
    plain.merge([(k, p, v) for k, p, v, _ in rows])
    assert plain.y.tolist() == [-0.1, -0.9, -0.8, np.inf]  # without bounds: the value alone


def test_zoom_never_settles_on_an_infeasible_best() -> None:
    """Accuracy is x and grows to the right; time x^2 + y must stay under 1.0."""
    zoom = make_sampler("zoom")
    log = MetricLog(SPACE, "maximize", TWO)
    for n in range(60):
        p = zoom.suggest(
            SPACE, log, trial_rng(4, n), 1, position=Position(4, n, 60), direction="maximize"
        )[0]
        log.merge([(n, p, p["x"], [p["x"], p["x"] ** 2 + p["y"]])])
    late = log.vectors()[-20:]
    assert np.mean(late[:, 1] <= 1.0) >= 0.5  # without the bound it would sit at x = 1
    assert np.median(late[:, 0]) > 0.8


optuna = pytest.importorskip("optuna")


def history() -> MetricLog:
    """Six trials: four complete and feasible, one too slow, one failed, one missing time."""
    log = MetricLog(SPACE, "maximize", TWO)
    vectors = [[0.2, 0.1], [0.6, 0.4], [0.9, 1.5], [NAN, NAN], [0.5, NAN], [0.8, 0.7], [0.4, 0.3]]
    log.merge(
        (n, point(v[0] if not math.isnan(v[0]) else 0.3), v[0] if n != 3 else None, v)
        for n, v in enumerate(vectors)
    )
    return log


def built(name: str, log: Any, options: dict | None = None) -> Any:
    from app.core.model_based import quiet_optuna

    sampler = make_sampler(name, options)
    with quiet_optuna():
        return sampler.study(SPACE, log, 0, "maximize")  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["tpe", "nsga2"])
def test_the_study_carries_the_metric_vectors_directions_and_constraints(name: str) -> None:
    study = built(name, history())
    directions = optuna.study.StudyDirection
    assert study.directions == [directions.MAXIMIZE, directions.MINIMIZE]
    complete, fail = optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL
    assert [t.state for t in study.trials] == [complete] * 3 + [fail, fail] + [complete] * 2
    assert [t.values for t in study.trials if t.state == complete] == [
        [0.2, 0.1],
        [0.6, 0.4],
        [0.9, 1.5],
        [0.8, 0.7],
        [0.4, 0.3],
    ]
    constraints = [t.system_attrs.get("constraints") for t in study.trials]
    assert constraints == [
        [0.1 - 1.0],
        [0.4 - 1.0],
        [1.5 - 1.0],
        None,
        None,
        [0.7 - 1.0],
        [0.3 - 1.0],
    ]
    assert study.sampler._constraints_func is not None  # Optuna 4 reads them only with it
    assert [t.params for t in study.trials] == [t for t, _ in history()]


@pytest.mark.parametrize("name", ["tpe", "nsga2"])
def test_one_unbounded_metric_is_the_plain_single_objective_study(name: str) -> None:
    plain = [(point(0.2), 0.2), (point(0.6), None), (point(0.4), 0.4)]
    study = built(name, plain)
    assert study.directions == [optuna.study.StudyDirection.MAXIMIZE]
    assert [t.value for t in study.trials] == [0.2, None, 0.4]
    assert all("constraints" not in t.system_attrs for t in study.trials)
    assert study.sampler._constraints_func is None


def test_a_bound_on_the_only_metric_reaches_tpe_as_a_constraint() -> None:
    one = Objectives.of([{"name": "loss", "direction": "minimize", "upper": 0.5}])
    log = MetricLog(SPACE, "minimize", one)
    log.merge([(0, point(0.2), 0.2, [0.2]), (1, point(0.7), 0.7, [0.7])])
    study = built("tpe", log)
    assert study.directions == [optuna.study.StudyDirection.MINIMIZE]
    assert [t.value for t in study.trials] == [0.2, 0.7]
    assert [t.system_attrs["constraints"] for t in study.trials] == [[0.2 - 0.5], [0.7 - 0.5]]


# Seven trials for NSGA-II: accuracy, seconds; trial 3 failed, 2 and 5 too slow.
GENERATIONS = [
    [0.5, 0.2],
    [0.4, 0.3],
    [0.95, 1.4],
    [NAN, NAN],
    [0.7, 0.5],
    [0.99, 1.2],
    [0.1, 0.9],
]


def generations() -> MetricLog:
    log = MetricLog(SPACE, "maximize", TWO)
    log.merge(
        (n, point(0.13 * n + 0.05, 0.9 - 0.12 * n), None if n == 3 else v[0], v)
        for n, v in enumerate(GENERATIONS)
    )
    return log


def test_nsga2_stamps_generations_and_picks_the_non_dominated_feasible_parents() -> None:
    """Population 3: generation 0 is trials 0-2, generation 1 is 3-6 (3 failed). The
    parents of generation 2 are the best three of both by rank: the front {0, 4}, then 1 (rank
    2), never the too-slow 2 and 5 however accurate."""
    from app.core.model_based import ask
    from app.core.nsga2 import generation_key

    study = built("nsga2", generations(), {"population_size": 3})
    assert [t.system_attrs[generation_key()] for t in study.trials] == [0, 0, 0, 1, 1, 1, 1]
    parents = study.sampler.get_parent_population(study, 2)
    assert sorted(t.number for t in parents) == [0, 1, 4]
    ask(study, SPACE)
    assert study.trials[-1].system_attrs[generation_key()] == 2


@pytest.mark.parametrize(
    ("name", "options", "log"),
    [
        ("tpe", {"n_startup_trials": 2}, history),
        ("nsga2", {"population_size": 3}, generations),
    ],
)
def test_the_same_history_gives_other_asks_with_both_metrics_than_with_the_value(
    name: str, options: dict, log: Any
) -> None:
    both = log()
    plain = [(p, v) for p, v in both]
    sampler = make_sampler(name, options)
    asks = [
        [
            sampler.suggest(SPACE, h, trial_rng(1, n), 1, position=Position(1, n, 20))[0]
            for n in range(4)
        ]
        for h in (both, plain)
    ]
    assert asks[0] != asks[1]
