"""A search run with trials finishing out of order, asked from a kept log and from one built
from scratch at every step: the two must agree (issue 16, item 5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app.core.samplers import Position, trial_rng
from app.core.space import SearchSpace
from app.core.trial_log import TrialLog
from app.core.zoom import ZoomSampler, replay


def finish_out_of_order(
    space: SearchSpace,
    sampler: ZoomSampler,
    budget: int,
    workers: int,
    seed: int,
    fn: Callable[[dict[str, Any]], float | None],
) -> None:
    """Run a search with `workers` trials in flight that finish in random order; at every ask
    the kept log must give what a log built from scratch gives."""
    rng = np.random.default_rng(seed)
    kept = TrialLog(space, "minimize")
    finished: dict[int, tuple[dict[str, Any], float | None]] = {}
    running: dict[int, dict[str, Any]] = {}
    for number in range(budget):
        position = Position(seed=seed, number=number, budget=budget)
        fresh = TrialLog.of(space, [finished[k] for k in sorted(finished)], "minimize")
        n_init = sampler.n_init(space, budget)
        assert region_state(replay(kept, n_init, sampler.options)) == region_state(
            replay(fresh, n_init, sampler.options)
        )
        asked = sampler.suggest(space, kept, trial_rng(seed, number), 1, position=position)
        again = sampler.suggest(space, fresh, trial_rng(seed, number), 1, position=position)
        assert asked == again
        running[number] = asked[0]
        while len(running) >= workers or (number == budget - 1 and running):
            done = int(rng.choice(list(running)))
            params = running.pop(done)
            finished[done] = (params, fn(params))
            kept.merge([(done, params, finished[done][1])])


def region_state(region: Any) -> Any:
    """A trust region as comparable values (NaN centre coordinates as -1)."""
    if region is None:
        return None
    return (np.nan_to_num(region.center, nan=-1.0).tolist(), region.best, region.length)
