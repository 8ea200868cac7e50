"""The zoom sampler's own duties: the surrogate's pick, options, failed trials, determinism."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.core.samplers import Position, make_sampler, trial_rng
from app.core.space import SearchSpace, SpaceError
from app.core.zoom import ZoomSampler
from tests.support.spaces import CONDITIONAL

BOWL = SearchSpace.from_dict(
    {
        "lr": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
    }
)
COND = SearchSpace.from_dict(CONDITIONAL)


def bowl(p: dict[str, Any]) -> float:
    return float((np.log10(p["lr"]) + 3) ** 2 + (p["x"] - 0.3) ** 2)


def best_on_bowl(options: dict[str, Any] | None, seed: int, budget: int = 60) -> float:
    sampler = make_sampler("zoom", options)
    history: list[tuple[dict[str, Any], float | None]] = []
    for n in range(budget):
        position = Position(seed, n, budget)
        p = sampler.suggest(BOWL, history, trial_rng(seed, n), 1, position=position)
        history.append((p[0], bowl(p[0])))
    return min(float(v) for _, v in history if v is not None)


def test_the_surrogate_exploits_a_smooth_function_better_than_uniform_draws() -> None:
    ranked = np.median([best_on_bowl(None, seed) for seed in range(4)])
    uniform = np.median([best_on_bowl({"candidates": 0}, seed) for seed in range(4)])
    assert ranked < uniform / 3


def random_history(
    space: SearchSpace, n: int, seed: int = 0
) -> list[tuple[dict[str, Any], float | None]]:
    rng = np.random.default_rng(seed)
    points = space.decode(rng.random((n, space.ndim)))
    # Every fifth trial failed (no value): the surrogate must not choke on it.
    return [(p, None if i % 5 == 4 else float(rng.random())) for i, p in enumerate(points)]


@pytest.mark.parametrize("options", [None, {"candidates": 0}, {"top": 5}])
def test_conditional_space_with_failed_trials_gives_valid_reproducible_points(
    options: dict[str, Any] | None,
) -> None:
    sampler = ZoomSampler(options)
    history = random_history(COND, 60)
    position = Position(3, 60, 80)
    first = sampler.suggest(COND, history, trial_rng(3, 60), 4, position=position)
    again = sampler.suggest(COND, history, trial_rng(3, 60), 4, position=position)
    assert first == again
    for params in first:
        COND.validate_params(params)  # inactive parameters absent
    maximized = sampler.suggest(
        COND, history, trial_rng(3, 60), 4, position=position, direction="maximize"
    )
    for params in maximized:
        COND.validate_params(params)


def test_all_failed_history_still_proposes() -> None:
    history = [(p, None) for p, _ in random_history(BOWL, 30)]
    out = ZoomSampler().suggest(BOWL, history, trial_rng(0, 30), 2, position=Position(0, 30, 40))
    for params in out:
        BOWL.validate_params(params)


@pytest.mark.parametrize(
    ("options", "key"),
    [({"candidates": -1}, "candidates"), ({"top": 0}, "top"), ({"top": 1.5}, "top")],
)
def test_bad_surrogate_options_name_the_option(options: dict[str, Any], key: str) -> None:
    with pytest.raises(SpaceError) as info:
        make_sampler("zoom", options)
    assert info.value.loc == ("options", key)
