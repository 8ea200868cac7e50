"""Samplers: `suggest(space, history, rng, n) -> list[params]`, pure and seedable.

The store seeds one generator per trial from (search seed, trial number), so a seeded search
gives the same configurations whichever worker claims which trial.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from app.core.space import Params, SearchSpace, SpaceError

History = Sequence[tuple[Params, float | None]]


class Sampler(Protocol):
    """What every sampler offers."""

    name: str
    needs_history: bool

    def suggest(
        self, space: SearchSpace, history: History, rng: np.random.Generator, n: int
    ) -> list[Params]:
        """Return `n` configurations from `space`."""
        ...


class RandomSampler:
    """Uniform in the unit cube, hence uniform in log space for log parameters.

    This is the `r = -4 * rand(); lr = 10 ** r` rule: each decade of a log range gets the same
    share of trials.
    """

    name = "random"
    needs_history = False

    def suggest(
        self, space: SearchSpace, history: History, rng: np.random.Generator, n: int
    ) -> list[Params]:
        """Draw `n` independent uniform points and decode them."""
        return space.decode(rng.random((n, len(space))))


SAMPLERS: dict[str, type[RandomSampler]] = {"random": RandomSampler}


def make_sampler(name: str, options: dict[str, Any] | None = None) -> Sampler:
    """Build a sampler by name; an unknown name is an error that lists the known ones."""
    if name not in SAMPLERS:
        known = ", ".join(sorted(SAMPLERS))
        raise SpaceError(("sampler",), f"unknown sampler {name!r}; choose one of: {known}")
    if options:
        raise SpaceError(("options",), f"the {name} sampler takes no options")
    return SAMPLERS[name]()


def trial_rng(seed: int, number: int) -> np.random.Generator:
    """The generator for trial `number` of a search seeded with `seed`."""
    return np.random.default_rng([seed, number])
