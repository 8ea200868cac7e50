"""Sampler contract over every sampler: valid, seeded, reproducible; and per-sampler duties."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

from app.core.samplers import NEEDS_OPTUNA, SAMPLERS, Position, make_sampler, trial_rng
from app.core.space import SearchSpace, SpaceError
from tests.support.spaces import CONDITIONAL, DEMO

SPACE = SearchSpace.from_dict(DEMO)
COND = SearchSpace.from_dict(CONDITIONAL)
HAS_OPTUNA = importlib.util.find_spec("optuna") is not None


def names() -> list[Any]:
    skip = pytest.mark.skipif(not HAS_OPTUNA, reason="optuna is not installed")
    return [pytest.param(n, marks=skip) if n in NEEDS_OPTUNA else n for n in sorted(SAMPLERS)]


def search(name: str, space: SearchSpace, seed: int, budget: int) -> list[dict[str, Any]]:
    """A sequential search on a toy loss, the way the store calls a sampler."""
    sampler = make_sampler(name)
    history: list[tuple[dict[str, Any], float | None]] = []
    for number in range(budget):
        position = Position(seed, number, budget)
        params = sampler.suggest(space, history, trial_rng(seed, number), 1, position=position)
        history.append((params[0], float(np.nansum(space.encode(params[0])))))
    return [p for p, _ in history]


@pytest.mark.parametrize("name", names())
@pytest.mark.parametrize("space", [SPACE, COND], ids=["plain", "conditional"])
def test_values_are_valid_for_the_space(name: str, space: SearchSpace) -> None:
    for params in search(name, space, 7, 30):
        space.validate_params(params)  # bounds, ints, steps, choices, inactive ones absent


@pytest.mark.parametrize("name", names())
def test_conditional_parameters_are_absent_when_inactive(name: str) -> None:
    trials = search(name, COND, 3, 30)
    for params in trials:
        assert ("momentum" in params) == (params["solver"] == "sgd")
        assert ("beta_1" in params) == (params["solver"] == "adam")
        assert params["epochs"] == 10
    assert {p["solver"] for p in trials} == {"sgd", "adam"}


@pytest.mark.parametrize("name", names())
def test_same_seed_same_sequence_other_seed_other_sequence(name: str) -> None:
    first, again, other = (
        search(name, SPACE, 7, 15),
        search(name, SPACE, 7, 15),
        search(name, SPACE, 8, 15),
    )
    assert first == again
    assert first != other


def test_unknown_sampler_lists_the_known_ones() -> None:
    with pytest.raises(SpaceError, match="choose one of: grid, halton") as info:
        make_sampler("annealing")
    assert info.value.loc == ("sampler",)


@pytest.mark.parametrize(
    ("name", "options", "loc", "fragment"),
    [
        ("random", {"x": 1}, ("options", "x"), "takes no options"),
        ("grid", {"resolution": 0}, ("options", "resolution"), "int in [1, 1000]"),
        ("grid", {"resolution": {"lr": "5"}}, ("options", "resolution", "lr"), "int"),
        ("grid", {"levels": 3}, ("options", "levels"), "takes resolution"),
        ("zoom", {"length": 2.0}, ("options", "length"), "must lie in"),
        ("zoom", {"success": 1.5}, ("options", "success"), "integer"),
        ("sobol", {"scramble": False}, ("options", "scramble"), "no options"),
        ("tpe", {"n_startup_trials": -1}, ("options", "n_startup_trials"), "must lie in"),
        ("nsga2", {"population_size": 1}, ("options", "population_size"), "must lie in [2,"),
        ("nsga2", {"population_size": 2.5}, ("options", "population_size"), "integer"),
        ("nsga2", {"crossover_prob": 1.5}, ("options", "crossover_prob"), "must lie in"),
        ("nsga2", {"mutation_prob": "x"}, ("options", "mutation_prob"), "a number"),
        ("nsga2", {"generations": 3}, ("options", "generations"), "takes crossover_prob"),
    ],
)
def test_bad_options_name_the_option(
    name: str, options: dict, loc: tuple[str, ...], fragment: str
) -> None:
    with pytest.raises(SpaceError) as info:
        make_sampler(name, options)
    assert info.value.loc == loc
    assert fragment in info.value.problem


@pytest.mark.parametrize("name", sorted(NEEDS_OPTUNA))
def test_optunas_samplers_without_optuna_say_how_to_install(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "optuna" else real(n, *a)
    )
    with pytest.raises(SpaceError, match=rf"the {name} sampler needs Optuna: pip install") as info:
        make_sampler(name)
    assert info.value.loc == ("sampler",)


def key(params: dict[str, Any]) -> str:
    return repr(sorted(params.items()))


def test_grid_visits_every_point_once_and_refuses_a_larger_budget() -> None:
    grid = make_sampler("grid", {"resolution": 3})
    size = len(grid.lattice(COND))  # type: ignore[attr-defined]
    # solver x lr(3) x layers(3) x (sgd: momentum 3 | adam: beta_1 3) = 2 * 9 * 3
    assert size == 54
    grid.check(COND, size)
    with pytest.raises(SpaceError, match="only 54 points") as info:
        grid.check(COND, size + 1)
    assert info.value.loc == ("n_trials",)
    points = search("grid", COND, 5, size)
    assert len({key(p) for p in points}) == size


def test_grid_levels_are_log_aware_and_ints_distinct() -> None:
    space = SearchSpace.from_dict(
        {
            "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
            "layers": {"type": "int", "low": 1, "high": 2},
        }
    )
    points = make_sampler("grid", {"resolution": 5}).lattice(space)  # type: ignore[attr-defined]
    assert sorted({p["lr"] for p in points}) == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert sorted({p["layers"] for p in points}) == [1, 2]
    assert len(points) == 10


def test_a_partial_grid_budget_spreads_over_the_range() -> None:
    space = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})
    points = search("grid", SearchSpace.from_dict(space.to_dict()), 1, 10)
    grid = make_sampler("grid", {"resolution": 100})
    order = [
        grid.suggest(space, [], trial_rng(1, n), 1, position=Position(1, n, 10))[0]["x"]
        for n in range(10)
    ]
    assert len(points) == 10 and 0.1 < np.mean(order) < 0.9 and np.std(order) > 0.15


@pytest.mark.parametrize("name", ["sobol", "halton", "lhs"])
def test_designs_need_no_history_and_are_balanced(name: str) -> None:
    space = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})
    sampler = make_sampler(name)
    x = [
        sampler.suggest(space, [], trial_rng(0, n), 1, position=Position(0, n, 16))[0]["x"]
        for n in range(16)
    ]
    # Each sixteenth of the range holds exactly one point of a 16-point design.
    assert sorted(int(v * 16) for v in x) == list(range(16))


def test_zoom_concentrates_near_the_optimum() -> None:
    space = SearchSpace.from_dict(
        {
            "lr": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
            "x": {"type": "float", "low": 0.0, "high": 1.0},
        }
    )
    sampler = make_sampler("zoom")
    history: list[tuple[dict[str, Any], float | None]] = []
    for n in range(80):
        params = sampler.suggest(space, history, trial_rng(0, n), 1, position=Position(0, n, 80))
        p = params[0]
        history.append((p, (np.log10(p["lr"]) + 3) ** 2 + (p["x"] - 0.3) ** 2))
    late = [p for p, _ in history[-20:]]
    assert np.median([abs(np.log10(p["lr"]) + 3) for p in late]) < 0.5
    assert min(v for _, v in history) < 0.05
