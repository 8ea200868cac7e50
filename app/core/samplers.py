"""Samplers: `suggest(space, history, rng, n, *, position, direction) -> list[params]`.

The store seeds one generator per trial from (search seed, trial number), so a seeded search
gives the same configurations whichever worker claims which trial. Designs (grid, sobol,
halton, lhs) also read `position` to return point `number` of their design without history;
zoom, tpe and nsga2 read the history (finished trials in trial order) and `direction`; on an
experiment with several metrics or bounds the history is a `MetricLog` carrying them, which tpe
and nsga2 optimise together and by which zoom counts a trial breaking a bound as failed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from app.core.designs import GridSampler, HaltonSampler, LhsSampler, SobolSampler
from app.core.model_based import TpeSampler
from app.core.nsga2 import Nsga2Sampler
from app.core.sampling import History, NoOptions, Position
from app.core.space import Params, SearchSpace, SpaceError
from app.core.zoom import ZoomSampler

__all__ = ["SAMPLERS", "History", "Position", "Sampler", "make_sampler", "trial_rng"]


class Sampler(Protocol):
    """What every sampler offers."""

    name: str
    needs_history: bool

    def check(self, space: SearchSpace, n_trials: int) -> None:
        """Raise SpaceError(("n_trials",), ...) when the budget is impossible for `space`."""
        ...

    def suggest(
        self,
        space: SearchSpace,
        history: History,
        rng: np.random.Generator,
        n: int,
        *,
        position: Position,
        direction: str = "minimize",
    ) -> list[Params]:
        """Return `n` configurations from `space`.

        Args:
            space: the search's space.
            history: (params, value) of completed trials in trial order; value None = failed.
            rng: `trial_rng(seed, number)` for the first requested point.
            n: how many configurations.
            position: the search seed, the first point's trial number and the budget.
            direction: "minimize" or "maximize", how to read the values.

        Returns:
            `n` valid configurations (inactive parameters absent).
        """
        ...


class RandomSampler(NoOptions):
    """Uniform in the unit cube, hence uniform in log space for log parameters.

    This is the `r = -4 * rand(); lr = 10 ** r` rule: each decade of a log range gets the same
    share of trials.
    """

    name = "random"
    needs_history = False

    def suggest(
        self,
        space: SearchSpace,
        history: History,
        rng: np.random.Generator,
        n: int,
        *,
        position: Position,
        direction: str = "minimize",
    ) -> list[Params]:
        """Draw `n` independent uniform points and decode them."""
        return space.decode(rng.random((n, space.ndim)))


SAMPLERS: dict[str, type[Sampler]] = {
    "random": RandomSampler,
    "grid": GridSampler,
    "sobol": SobolSampler,
    "halton": HaltonSampler,
    "lhs": LhsSampler,
    "zoom": ZoomSampler,
    "tpe": TpeSampler,
    "nsga2": Nsga2Sampler,
}

# Samplers from Optuna's library, the optional extra `hyperzoom[tpe]`.
NEEDS_OPTUNA = {"tpe", "nsga2"}


def make_sampler(name: str, options: Mapping[str, Any] | None = None) -> Sampler:
    """Build a sampler by name, validating its options; errors name the sampler or option."""
    if name not in SAMPLERS:
        known = ", ".join(sorted(SAMPLERS))
        raise SpaceError(("sampler",), f"unknown sampler {name!r}; choose one of: {known}")
    if name in NEEDS_OPTUNA and importlib.util.find_spec("optuna") is None:
        raise SpaceError(
            ("sampler",), f"the {name} sampler needs Optuna: pip install 'hyperzoom[tpe]'"
        )
    return SAMPLERS[name](options)  # type: ignore[call-arg]


def trial_rng(seed: int, number: int) -> np.random.Generator:
    """The generator for trial `number` of a search seeded with `seed`."""
    return np.random.default_rng([seed, number])
