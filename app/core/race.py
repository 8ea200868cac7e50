"""Which value of the switching categorical zoom tries next: a race by successive halving.

When an optimizer choice switches parameters on and off (momentum for sgd, beta1 and beta2 for
adam), one value's trials say little about another's: each needs its own parameters and its
own learning rate tuned before its loss means anything. Zoom's bandit over values (fed by where
each value's trials rank, `app/core/categories.py`) tuned whichever optimizer its first box fell
on, exactly, and stayed there: on `conditional-net` its best used the best optimizer in 14 of
30 seeds (issue 16), each loser judged by a few trials with untuned numbers.

So the values of that categorical race, as arms do in successive halving (Jamieson and
Talwalkar, 2016; Hyperband's inner loop): each value gets `per_value` trials, taking turns;
then the better half by best loss stays and gets as many again, down to two; the rest of the
budget is zoom's as before. Why this rule: it gives every value a fair share, the same number
of trials, before any is judged, and needs no constant for how optimistic to be.

Each raced trial is drawn in zoom's box (on the incumbent) with the value fixed and the
parameters only that value has taken from its own best trial, so a challenger inherits the
numbers the incumbent has tuned (batch size, depth, widths) and only its own need finding.
That is why the race waits for a quarter of the trials after exploration (`DELAY`): started at
once, the box had nothing tuned to lend (20 of 30 seeds chose the best optimizer, 26 of 30
with the wait; 21 waiting 15%, 24 waiting 35%). And a race costs the winner about half of
its trials (`SHARE`), so it is run only where values switch parameters: elsewhere the
incumbent's numbers carry over and one try of another value in its box tells enough
(`category-penalty`: the best optimizer in 30 of 30 seeds without a race).

Which value a trial gets is a function of its number and the history (each value's best loss
at the ask), so parallel workers and a replay from scratch agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.categories import levels
from app.core.params import CategoricalParam, FixedParam, IntParam, same_value
from app.core.space import SearchSpace

# The share of the trials after exploration that the race may take.
SHARE = 0.5
# The share of the trials after exploration that zoom runs before the race starts.
DELAY = 0.25
# Fewer trials than this per value and round judge nothing: no race.
MIN_ROUND = 4
# More than this per value and round (long searches) only delays the winner.
MAX_ROUND = 64


def race_dim(space: SearchSpace) -> int | None:
    """The always-active categorical of two or more choices whose values switch the most
    tunable parameters on and off; None if none switches any.

    A condition that holds for every value its parent can take switches nothing (a child
    search refined to `optimizer in [adam, adamw]`, both with betas), nor does one on a fixed
    parameter (no number of its own to find); a categorical whose conditions always hold (its
    branch the only one left in a refined child) is always active. Found by review: a child
    refined to one model raced that one value, that is not at all, instead of its optimizer.
    """
    dependents: dict[str, int] = {}
    for p in space.params.values():
        if isinstance(p, FixedParam):
            continue
        for name in {name for name, values in p.condition if not _always(space, name, values)}:
            dependents[name] = dependents.get(name, 0) + 1
    best, most = None, 0
    for j, p in enumerate(space.dims):
        count = dependents.get(p.name, 0)
        if (
            isinstance(p, CategoricalParam)
            and len(p.choices) > 1
            and count > most
            and _always_active(space, p.name)
        ):
            best, most = j, count
    return best


def _always(space: SearchSpace, name: str, values: tuple[Any, ...]) -> bool:
    """Whether `name in values` holds for every value `name` can take."""
    parent = space.params[name]
    if isinstance(parent, FixedParam):
        return any(same_value(parent.value, v) for v in values)
    if isinstance(parent, CategoricalParam):
        return all(any(same_value(c, v) for v in values) for c in parent.choices)
    if isinstance(parent, IntParam):
        listed = {v for v in values if not isinstance(v, bool) and isinstance(v, int)}
        return all(parent.low + k * parent.step in listed for k in range(parent.size))
    return False


def _always_active(space: SearchSpace, name: str) -> bool:
    """Whether the parameter is active in every configuration of the space."""
    return all(
        _always(space, parent, values) and _always_active(space, parent)
        for parent, values in space.params[name].condition
    )


@dataclass(frozen=True)
class Race:
    """The race's plan: which dimension, where it starts, trials per value per round, and how
    many values run in each round (K, then half of them rounded up, down to two)."""

    dim: int
    coords: np.ndarray
    start: int
    per_value: int
    sizes: tuple[int, ...]

    @classmethod
    def plan(cls, space: SearchSpace, n_init: int, budget: int) -> Race | None:
        """The race of a search of `budget` trials exploring for `n_init`; None without a
        categorical that switches parameters or when the budget cannot give each value
        `MIN_ROUND` trials a round."""
        dim = race_dim(space)
        if dim is None:
            return None
        coords = levels(space)[dim]
        start = n_init + int(DELAY * (budget - n_init))
        sizes = [len(coords)]
        while sizes[-1] > 2:
            sizes.append(math.ceil(sizes[-1] / 2))
        per_value = min(MAX_ROUND, int(SHARE * (budget - start)) // sum(sizes))
        if len(coords) < 2 or per_value < MIN_ROUND:
            return None
        return cls(dim, coords, start, per_value, tuple(sizes))

    @property
    def end(self) -> int:
        """The first trial number after the race."""
        return self.start + self.per_value * sum(self.sizes)

    def fixed(self, number: int, lowest: np.ndarray) -> dict[int, int]:
        """{dimension: value index} for trial `number`, given each value's lowest loss so far
        (`CategoryBandit.lowest`); {} outside the race."""
        value = self.value_for(number, lowest)
        return {} if value is None else {self.dim: value}

    def value_for(self, number: int, best: np.ndarray) -> int | None:
        """The value trial `number` runs in, given each value's best loss so far; None
        outside the race. Within a round, values take turns (by number); a round's values are
        the previous round's best `size`, ties to the lower index."""
        if not self.start <= number < self.end:
            return None
        t, alive = number - self.start, list(range(len(self.coords)))
        for size in self.sizes:
            alive = sorted(alive, key=lambda k: (best[k], k))[:size]
            span = size * self.per_value
            if t < span:
                return sorted(alive)[t % size]
            t -= span
        return None  # unreachable: t < end - start
