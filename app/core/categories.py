"""Which category (or value of a small integer) zoom tries next: Thompson sampling over values.

A box in the unit cube has no useful notion of "near" for a categorical, and an integer with a
handful of values sits in slices wider than a shrunk box, so once the box shrinks the search
never leaves the value it started in (issue 16: zoom's best trial used the wrong optimizer in 6
of 10 seeds). Here each such parameter is a bandit arm per value, and for every point Thompson
sampling picks the value: value k gets a draw from Beta(1 + good_k, 1 + n_k - good_k), where n_k
counts the trials that used k and good_k those among them in the top `GOOD` share of all trials
(failed trials count, and never as good), and the highest draw wins.

Why this rule: it is fed by where each value's best trials rank, so it is scale-free (ranks, not
losses), indifferent to failed trials' missing values, and costs one pass over the history. A
value tried a few times with nothing in the top share keeps a wide posterior and is still tried
now and then; a value tried often with nothing good is tried rarely, never never; the value that
holds the best trials is chosen most of the time, so the box still gets to exploit. The chosen
value is tried with the box's numbers (around the incumbent), the categorical neighbourhood of a
trust region (as in CASMOPOLITAN, Wan et al., 2021): when the numbers carry over, one try is
enough to move the box to the better category; when they do not, the box's restarts (best trial
outside every exhausted box) still reach the other categories' own best trials.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.core.params import CategoricalParam, IntParam
from app.core.space import SearchSpace

# An integer with at most this many values is chosen like a categorical: wider slices than this
# (1/8 of the axis) are left behind by a box after two halvings of its default side (0.4).
MAX_INT_LEVELS = 8
# A trial is "good" when its loss is within the best share GOOD of the finite losses.
GOOD = 0.2


def levels(space: SearchSpace) -> dict[int, np.ndarray]:
    """The unit-cube coordinate of each value, per dimension the bandit chooses."""
    out: dict[int, np.ndarray] = {}
    for j, p in enumerate(space.dims):
        if isinstance(p, CategoricalParam):
            k = len(p.choices)
            out[j] = (np.arange(k) + 0.5) / k
        elif isinstance(p, IntParam) and p.size <= MAX_INT_LEVELS:
            out[j] = np.array([p.encode(p.low + i * p.step) for i in range(p.size)])
    return out


class CategoryBandit:
    """Per-dimension counts of trials and good trials per value, from the history."""

    def __init__(self, space: SearchSpace, x: np.ndarray, y: np.ndarray) -> None:
        self.levels = levels(space)
        finite = np.isfinite(y)
        good = np.zeros(len(y), dtype=bool)
        if finite.any():
            good = finite & (y <= np.quantile(y[finite], GOOD))
        self.counts: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # Per dimension and value, the best trial with that value (its coordinates), if any,
        # and its loss (+inf without one: what a race judges values by, app/core/race.py).
        self.best: dict[int, dict[int, np.ndarray]] = {}
        self.lowest: dict[int, np.ndarray] = {}
        loss = np.where(finite, y, np.inf)
        for j, coords in self.levels.items():
            active = np.flatnonzero(~np.isnan(x[:, j]))
            idx = nearest(coords, x[active, j])
            n = np.bincount(idx, minlength=len(coords)).astype(float)
            g = np.bincount(idx, weights=good[active], minlength=len(coords))
            self.counts[j] = (n, g)
            self.best[j], self.lowest[j] = {}, np.full(len(coords), np.inf)
            here = loss[active]
            for k in np.flatnonzero(n):  # a pass per value: at most eight, no sort
                i = int(np.argmin(np.where(idx == k, here, np.inf)))
                if np.isfinite(here[i]):
                    self.best[j][int(k)] = x[active[i]]
                    self.lowest[j][k] = here[i]

    def choose(
        self,
        rng: np.random.Generator,
        center: np.ndarray,
        uniform: bool = False,
        fixed: Mapping[int, int] | None = None,
    ) -> tuple[dict[int, float], np.ndarray]:
        """One Thompson draw per dimension: the coordinates of the values to try next (with
        `uniform`, a value drawn uniformly instead: the alternative zoom's GP weighs).

        Also the centre to draw the other coordinates around: the box's, with the coordinates
        it lacks (parameters inactive there, active under a newly chosen value) taken from the
        best trial with that value, so a switch to it is tried with that value's own numbers.
        A dimension in `fixed` takes that value index, drawn or not (a race's value).
        """
        out: dict[int, float] = {}
        center = center.copy()
        for j, (n, g) in self.counts.items():
            if fixed and j in fixed:
                k = fixed[j]
            elif uniform:
                k = int(rng.integers(len(n)))
            else:
                k = int(np.argmax(rng.beta(1.0 + g, 1.0 + n - g)))
            out[j] = float(self.levels[j][k])
            donor = self.best[j].get(k)
            if donor is not None and out[j] != center[j]:
                center = np.where(np.isnan(center), donor, center)
        return out, center


def nearest(coords: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The index of the value whose coordinate is nearest to each of u (coords ascending)."""
    if not len(u):
        return np.zeros(0, dtype=int)
    right = np.clip(np.searchsorted(coords, u), 1, len(coords) - 1) if len(coords) > 1 else None
    if right is None:
        return np.zeros(len(u), dtype=int)
    left = right - 1
    return np.where(np.abs(u - coords[left]) <= np.abs(coords[right] - u), left, right)
