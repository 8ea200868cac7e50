"""Coarse-to-fine search without a human: a trust region that follows the best trial.

The naive zoom (a few rounds, each the bounding box of the top 20%) barely beats random: it
shrinks on noise and never recovers. Here, as in TuRBO (Eriksson et al., 2019), a box of side
`length` in the unit cube sits on the best trial so far; it doubles after `success`
improvements in a row, halves after `failure` misses in a row, and when it is smaller than
`min_length` the search restarts on the best trial outside every box it has exhausted (another
cluster of good trials). The box is a function of the history: the trials replayed in trial
order. The replay is kept in the `TrialLog` the store hands over between asks and resumed from
its last valid checkpoint, so an ask costs what finished since the last one, not the whole
history.

Uniform draws in the box converge slowly on smooth functions, so each point is the best of
`candidates` (1,024) points in the box as ranked by a surrogate of the trials nearest to the
box (losses above their median cut to the median, so that cliffs and failed trials do not
dominate it). The box still decides where to look and when to give up on a region; the
surrogate only decides which point of the box comes next. Five choices there, three TuRBO's,
measured against Optuna's GP in docs/benchmarks.md (issue 16):

- The surrogate is a Gaussian process (Matérn-5/2, a lengthscale per axis,
  `app/core/local_gp.py`) and the point is the candidate with the most expected improvement.
  It replaced a thin-plate-spline interpolant ranked by its prediction alone, which kept
  picking points next to the incumbent and crawled (`lr-cliff` 2.5e-3, GP 1.6e-6).
- The box is long on the axes where the GP's lengthscales are long (`sides`), at the same
  volume: a cube small enough for a steep axis froze the flat ones.
- Three quarters of the candidates move only a random subset of the axes and keep the
  incumbent's values on the others (`propose`), so one parameter can be tuned while another,
  already right, is left alone.
- A quarter of each point's candidates take a uniformly drawn value of the categories instead
  of the bandit's (`pick`), and the expected improvement weighs the two: the bandit alone kept
  `conditional-net` in the second-best optimizer.
- The pick is refined in boxes 10, 100 and 1,000 times smaller around it (`_refine`), as
  Optuna's GP polishes its own by L-BFGS: `bound-optimum` 3.0e-6 to 1.2e-8, none on the bound.

Two rules keep the box from getting stuck (issue 16). Categories, and integers with at most
eight values, are not drawn from the box: a Thompson-sampling bandit over their values, fed by
where each value's trials rank, picks them for each point (`app/core/categories.py` says why);
where a categorical switches other parameters on and off, its values first race for a share of
the trials (`app/core/race.py`).
And the box is kept inside the unit cube by shifting it, as TuRBO's box is kept inside its
bounds, rather than by clipping the candidates: clipping piled 3-13% of all float values exactly
onto a bound; a shifted box touches a bound but draws there only with probability 0, so values
approach a bound only when the trials keep improving towards it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.categories import CategoryBandit
from app.core.designs import sobol_points
from app.core.race import Race
from app.core.sampling import History, Position, check_options, number_option
from app.core.space import Params, SearchSpace
from app.core.trial_log import TrialLog

if TYPE_CHECKING:
    from app.core.local_gp import LocalGP

# The surrogate's losses are cut at the median of at most this many trials, the nearest to the
# box's centre; the GP's posterior uses the nearest `_GP_TRIALS` of them, its hyperparameters
# are fitted on the nearest `_HYPER_TRIALS` every `_REFIT` trials.
_MAX_FIT = 300
_GP_TRIALS = 100
_HYPER_TRIALS = 60
_REFIT = 8
# The pick is refined in boxes this many times smaller, with this many points each.
_REFINE_STEPS = (10, 100, 1000)
_REFINE_POINTS = 256
# Where an inactive parameter sits for the surrogate: outside the cube, apart from all values.
_INACTIVE = -0.5
# The replay keeps its state every this many trials: an ask replays at most this many trials
# before the earliest one that finished since the last ask.
_CHECKPOINT = 32
# How many of the latest checkpoints keep which trials the exhausted boxes cover.
_COVERED_MARKS = 4


@dataclass(frozen=True)
class ZoomOptions:
    """The trust region's knobs; lengths are sides in the unit cube."""

    init_fraction: float = 0.15
    length: float = 0.4
    min_length: float = 0.02
    max_length: float = 0.8
    success: int = 3
    failure: int = 0  # 0: max(4, number of dimensions), TuRBO's rule
    candidates: int = 1024
    top: int = 1

    @classmethod
    def parse(cls, options: Mapping[str, Any] | None) -> ZoomOptions:
        """Validate the options mapping, naming the first bad key."""
        check_options("zoom", options, set(cls.__dataclass_fields__))
        d = cls()
        return cls(
            init_fraction=number_option(options, "init_fraction", d.init_fraction, 0.01, 1.0),
            length=number_option(options, "length", d.length, 0.01, 1.0),
            min_length=number_option(options, "min_length", d.min_length, 1e-4, 0.5),
            max_length=number_option(options, "max_length", d.max_length, 0.01, 1.0),
            success=int(number_option(options, "success", d.success, 1, 100, integer=True)),
            failure=int(number_option(options, "failure", d.failure, 0, 1000, integer=True)),
            candidates=int(
                number_option(options, "candidates", d.candidates, 0, 4096, integer=True)
            ),
            top=int(number_option(options, "top", d.top, 1, 4096, integer=True)),
        )


@dataclass
class TrustRegion:
    """The box the next trials are drawn from, and the counters that resize it."""

    center: np.ndarray
    best: float
    length: float
    successes: int = 0
    failures: int = 0


class ZoomSampler:
    """Trust-region zoom: exploration first, then a box that follows the best trial.

    Args (options):
        init_fraction: share of the budget explored with a Sobol' design first (0.15).
        length: the box's side when it is placed or restarted, in the unit cube (0.4).
        min_length: below this side the box is exhausted and the search restarts (0.02).
        max_length: the box never grows beyond this side (0.8).
        success: improvements in a row that double the box (3).
        failure: misses in a row that halve it; 0 means max(4, number of dimensions) (0).
        candidates: points in the box ranked by the surrogate's expected improvement per
            point (`propose`); 0 or 1 turns the surrogate off, each point is then a plain
            uniform draw in the box (1024).
        top: the point is drawn at random among the `top` best-ranked candidates; 1 takes
            the best, more explores more (1).
    """

    name = "zoom"
    needs_history = True

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = ZoomOptions.parse(options)

    def check(self, space: SearchSpace, n_trials: int) -> None:
        """Any budget works; a tiny one is all exploration."""

    def n_init(self, space: SearchSpace, budget: int) -> int:
        """How many trials explore the whole space before the box is placed."""
        return max(space.ndim + 1, math.ceil(self.options.init_fraction * budget), 4)

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
        """Explore with a Sobol' design, then the surrogate's pick in the replayed box."""
        log = TrialLog.of(space, history, direction)
        budget, number = position.budget, position.number
        n_init = self.n_init(space, budget)
        region = replay(log, n_init, self.options)
        model = bandit = None
        if region is not None:
            bandit = CategoryBandit(space, log.x, log.y)
            if self.options.candidates > 1:
                model = fit_surrogate(log, region.center)
        weights = None if model is None else sides(model.gp.lengthscales, set(bandit.levels))
        race = Race.plan(space, n_init, budget)
        rows = []
        for i in range(n):
            if region is None or bandit is None or number + i < n_init:
                rows.append(_explore(space, rng, position, number + i, budget))
            else:
                fixed = {} if race is None else race.fixed(number + i, bandit.lowest[race.dim])
                chosen, center = bandit.choose(rng, region.center, fixed=fixed)
                here = TrustRegion(center, region.best, region.length)
                other = None
                if model is not None and set(bandit.levels) - set(fixed):
                    alt, alt_center = bandit.choose(rng, region.center, uniform=True, fixed=fixed)
                    other = (TrustRegion(alt_center, region.best, region.length), alt)
                rows.append(pick(space, here, model, rng, self.options, chosen, weights, other))
        return space.decode(np.array(rows).reshape(n, space.ndim))


def _explore(
    space: SearchSpace,
    rng: np.random.Generator,
    position: Position,
    number: int,
    budget: int,
) -> np.ndarray:
    if space.ndim == 0:
        return rng.random(0)
    return sobol_points(position.seed, space.ndim, number, 1)[0]


def replay(log: TrialLog, n_init: int, options: ZoomOptions) -> TrustRegion | None:
    """The trust region after the log's trials in order; None until exploration is done.

    The replay resumes from the log's last checkpoint that a merge left valid (every
    `_CHECKPOINT` trials, and the end of the previous replay), so an ask replays only the
    trials that finished since the last one, and those before the earliest of them: the same
    region as a replay from the start, at O(change) cost.

    A restart takes the best trial outside every exhausted box. Which trials an exhausted box
    covers is kept as the replay goes (each trial is checked against the boxes when it comes,
    every trial against a box when it is exhausted), so a restart is one pass over the losses:
    scanning the trials against all boxes at each restart took 50 s over 10,000 random trials.
    """
    x, y = log.x, log.y
    if len(y) < n_init or not np.isfinite(y[:n_init]).any():
        return None
    failure = options.failure or max(4, log.space.ndim)
    marks = log.memo(("zoom", n_init, options))
    covered = np.zeros(len(y), dtype=bool)
    region: TrustRegion | None
    if marks:
        start, (saved, spent, was_covered) = marks[-1]
        region = dataclasses.replace(saved) if saved is not None else None
        if was_covered is None:  # an old mark: what its exhausted boxes cover, again
            for center in spent:
                covered[:start] |= _distances(x[:start], center) <= options.length / 2
        else:
            covered[:start] = was_covered
    else:
        best = int(np.argmin(y[:n_init]))
        start, spent = n_init, np.zeros((0, x.shape[1]))
        region = TrustRegion(x[best].copy(), float(y[best]), options.length)
    half = options.length / 2
    for i in range(start, len(y)):
        if len(spent):
            covered[i] = bool((_distances(spent, x[i]) <= half).any())
        exhausted = region is None
        if region is not None:
            _update(region, x[i], float(y[i]), options, failure)
            if region.length < options.min_length:
                spent = np.vstack([spent, region.center])
                covered[: i + 1] |= _distances(x[: i + 1], region.center) <= half
                exhausted = True
        if exhausted:
            region = _restart(x[: i + 1], y[: i + 1], covered[: i + 1], options)
        if (i + 1) % _CHECKPOINT == 0:
            _mark(marks, i + 1, region, spent, covered)
    _mark(marks, len(y), region, spent, covered)
    return region


def _mark(
    marks: list[tuple[int, Any]],
    position: int,
    region: TrustRegion | None,
    spent: np.ndarray,
    covered: np.ndarray,
) -> None:
    """Keep the replay's state after `position` trials; a previous end mark (not on the
    `_CHECKPOINT` grid) is replaced, so the list grows by one per `_CHECKPOINT` trials."""
    if marks and marks[-1][0] == position:
        return
    if marks and marks[-1][0] % _CHECKPOINT:
        marks.pop()
    saved = dataclasses.replace(region) if region is not None else None
    marks.append((position, (saved, spent, covered[:position].copy())))
    # Coverage for every mark would grow as n^2 / 64 bytes (25 MB at 40,000 trials): only the
    # last few keep it, where out-of-order finishes rewind to; an older one recomputes it.
    if len(marks) > _COVERED_MARKS:
        old_position, (old_region, old_spent, _) = marks[-_COVERED_MARKS - 1]
        marks[-_COVERED_MARKS - 1] = (old_position, (old_region, old_spent, None))


def _update(
    region: TrustRegion, point: np.ndarray, loss: float, options: ZoomOptions, failure: int
) -> None:
    if loss < region.best - 1e-9 * max(1.0, abs(region.best)):
        region.center, region.best = point.copy(), loss
        region.successes, region.failures = region.successes + 1, 0
    else:
        region.successes, region.failures = 0, region.failures + 1
    if region.successes >= options.success:
        region.length, region.successes = min(2 * region.length, options.max_length), 0
    elif region.failures >= failure:
        region.length, region.failures = region.length / 2, 0


def _restart(
    x: np.ndarray, y: np.ndarray, covered: np.ndarray, options: ZoomOptions
) -> TrustRegion | None:
    """A fresh box on the best trial no exhausted box covers; None if there is none."""
    candidates = np.where(covered | ~np.isfinite(y), np.inf, y)
    best = int(np.argmin(candidates)) if len(y) else 0
    if not len(y) or not np.isfinite(candidates[best]):
        return None
    return TrustRegion(x[best].copy(), float(y[best]), options.length)


def _distances(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Max-norm distance of each row of x to c over the coordinates both have (fmax skips
    NaN: a third of masking NaN gaps to 0 first, 0.8 ms at 10,000 trials of 14)."""
    gap = x - c
    np.abs(gap, out=gap)
    return np.fmax.reduce(gap, axis=1, initial=0.0)


def sides(lengthscales: np.ndarray, chosen: set[int]) -> np.ndarray | None:
    """The box's side on each axis relative to `length`: the GP's lengthscales over their
    geometric mean (TuRBO's box), over the axes the box draws (not those the bandit chooses).

    A cube's side is set by the steepest axis: on `lr-cliff` a box small enough for the rate
    left dropout, 500 times flatter, almost fixed. Scaled so, the box keeps its volume
    (length^d) but is long where the loss changes slowly.
    """
    keep = np.array([j not in chosen for j in range(len(lengthscales))])
    if not keep.any():
        return None
    ls = np.log(np.clip(lengthscales, 1e-3, None))
    return np.where(keep, np.exp(ls - ls[keep].mean()), 1.0)


def box(region: TrustRegion, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The box's lower corner and sides: centred on the best trial, shifted inside the cube.

    Its side on axis j is `length` times weights[j] (`sides`; 1 without), at most 1.

    A box that would stick out of [0, 1] is slid back along that axis (its side kept), so a
    centre near a bound gives a box that touches the bound instead of candidates clipped onto
    it; an inactive coordinate of the centre (NaN) gets the whole axis.
    """
    side = np.minimum(region.length * (1.0 if weights is None else weights), 1.0)
    low = np.clip(region.center - side / 2, 0.0, 1.0 - side)
    inactive = np.isnan(region.center)
    return np.where(inactive, 0.0, low), np.where(inactive, 1.0, side)


def propose(
    space: SearchSpace,
    region: TrustRegion,
    rng: np.random.Generator,
    k: int = 1,
    chosen: Mapping[int, float] | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """k points in the box, with the values `chosen` by the bandit (by dimension).

    A quarter of them are uniform in the box; each of the others moves only some of the axes
    it can move on (`_free_dims`), each with probability p drawn uniformly in [1/d, 1] per
    point, at least one, and keeps the box centre (the incumbent) on the rest: TuRBO's
    perturbation of a random subset of the axes, at every share. A candidate that moves lr
    alone is what lets dropout and lr be fixed in turn on `lr-cliff`, where every uniform point
    of a box as small as lr needs is worse than the incumbent in lr by more than dropout gains.
    """
    low, side = box(region, weights)
    u = low + side * rng.random((k, space.ndim))
    free = _free_dims(space, region.center, chosen or {}) if k > 1 else []
    if len(free) > 1:
        d, full = len(free), k // 4
        p = 1.0 / d + (1.0 - 1.0 / d) * rng.random((k, 1))
        mask = rng.random((k, d)) < p
        mask[np.arange(k), rng.integers(d, size=k)] = True
        mask[:full] = True
        u[:, free] = np.where(mask, u[:, free], region.center[free])
    for j, coordinate in (chosen or {}).items():
        u[:, j] = coordinate
    # Only rounding can reach 1.0 (low + side = 1): keep every point inside its last slice.
    return np.minimum(u, np.nextafter(1.0, 0.0))


def _free_dims(space: SearchSpace, center: np.ndarray, chosen: Mapping[int, float]) -> list[int]:
    """The axes a candidate can move on: active at the centre (with the chosen values), and
    not chosen by the bandit."""
    point = np.where(np.isnan(center), 0.5, center)
    for j, c in chosen.items():
        point[j] = c
    if space.conditional:
        active = ~np.isnan(space.encode(space.decode(point[None, :])[0]))
    else:
        active = np.ones(space.ndim, dtype=bool)
    free = active & ~np.isnan(center)
    return [j for j in np.flatnonzero(free).tolist() if j not in chosen]


def pick(
    space: SearchSpace,
    region: TrustRegion,
    model: Surrogate | None,
    rng: np.random.Generator,
    options: ZoomOptions,
    chosen: Mapping[int, float] | None = None,
    weights: np.ndarray | None = None,
    other: tuple[TrustRegion, Mapping[int, float]] | None = None,
) -> np.ndarray:
    """The candidate of the box with the most expected improvement (one random among the
    `top` best).

    With `other` (a box around another draw of the categories and its values), a quarter of
    the candidates come from there: the bandit's pick is mostly the incumbent's category, and
    the GP, which sees every category's trials, may expect more of another one. On
    `conditional-net` this found the best optimizer and depth in 14 of 30 seeds, against 8.
    """
    if model is None or options.candidates <= 1:
        return propose(space, region, rng, 1, chosen, weights)[0]
    groups = [(region, chosen, options.candidates)]
    aside = options.candidates // 4  # none when there are fewer than four candidates
    if other is not None and aside:
        groups = [(region, chosen, options.candidates - aside), (*other, aside)]
    cands, gains, group = [], [], []
    for g, (box_, values, k) in enumerate(groups):
        u = propose(space, box_, rng, k, values, weights)
        cands.append(u)
        gains.append(model.gp.expected_improvement(_model_input(space, u, values), model.best))
        group += [g] * k
    gain = np.concatenate(gains)
    order = np.argsort(-gain, kind="stable")
    i = int(order[rng.integers(min(options.top, len(order)))] if options.top > 1 else order[0])
    values = groups[group[i]][1]
    return _refine(space, region, weights, model, rng, np.vstack(cands)[i], gain[i], values)


def _refine(
    space: SearchSpace,
    region: TrustRegion,
    weights: np.ndarray | None,
    model: Surrogate,
    rng: np.random.Generator,
    best: np.ndarray,
    gain: float,
    values: Mapping[int, float] | None,
) -> np.ndarray:
    """The pick, or a point near it with more expected improvement: `_REFINE_POINTS` points in
    boxes 10, 100 and 1,000 times smaller than the box around it, inside the box.

    1,024 points in the box resolve a side to a few percent; Optuna's GP polishes its pick by
    L-BFGS. On `bound-optimum` (best on a bound) this took zoom from 3.0e-6 to 1.2e-8, with no
    value on the bound: the small boxes are slid inside the big one, as the big one inside the
    cube. (The dropped polish of the spline's pick had no uncertainty to hold it back.)
    """
    low, full = box(region, weights)
    for shrink in _REFINE_STEPS:
        side = full / shrink
        lo = np.clip(best - side / 2, low, low + full - side)
        u = lo + side * rng.random((_REFINE_POINTS, space.ndim))
        for j, coordinate in (values or {}).items():
            u[:, j] = coordinate
        u = np.minimum(u, np.nextafter(1.0, 0.0))
        more = model.gp.expected_improvement(_model_input(space, u, values), model.best)
        k = int(np.argmax(more))
        if more[k] > gain:
            best, gain = u[k], float(more[k])
    return best


def _model_input(
    space: SearchSpace, u: np.ndarray, chosen: Mapping[int, float] | None = None
) -> np.ndarray:
    """Candidates as the surrogate sees trials: inactive coordinates set apart.

    When the bandit chose every parent of every condition, all candidates share one pattern
    of active parameters, read off the first; else each is decoded (1,024 decodings cost
    10-20 ms on `conditional-net`).
    """
    if space.conditional and len(u):  # what decoding would drop, encoding marks NaN
        index = {p.name: j for j, p in enumerate(space.dims)}
        parents = {index.get(name) for p in space.params.values() for name, _ in p.condition}
        parents.discard(None)
        if parents <= set(chosen or {}):
            u = np.where(np.isnan(space.encode(space.decode(u[:1])[0])), np.nan, u)
        else:
            u = np.array([space.encode(p) for p in space.decode(u)]).reshape(-1, space.ndim)
    return np.where(np.isnan(u), _INACTIVE, u)


@dataclass
class Surrogate:
    """The local GP and the best standardized loss it knows."""

    gp: LocalGP
    best: float


def fit_surrogate(log: TrialLog, center: np.ndarray) -> Surrogate | None:
    """A GP of the losses of the `_GP_TRIALS` trials nearest to the box's centre; None if unfit.

    Losses above the median of the `_MAX_FIT` nearest trials are cut to the median, so cliffs
    and diverged runs do not bend the fit near the good trials (`_near`). The
    GP's hyperparameters come from `hyperparameters` (refitted every `_REFIT` trials).
    """
    space, x, y = log.space, log.x, log.y
    finite = np.isfinite(y)
    if space.ndim == 0 or len(y) < space.ndim + 2 or not finite.any():
        return None
    x, y = _near(x, y, center)
    from app.core.local_gp import LocalGP

    gp = LocalGP.fit(x[:_GP_TRIALS], y[:_GP_TRIALS], hyperparameters(log))
    return None if gp is None else Surrogate(gp, float(y[:_GP_TRIALS].min()))


def _near(x: np.ndarray, y: np.ndarray, center: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The `_MAX_FIT` trials nearest to `center`, nearest first: inactive coordinates set
    apart, losses cut to their median and standardized, failed trials worse still."""
    dist = _distances(x, center)
    if len(y) > _MAX_FIT:
        near = np.argpartition(dist, _MAX_FIT - 1)[:_MAX_FIT]
        x, y, dist = x[near], y[near], dist[near]
    order = np.argsort(dist, kind="stable")
    x, y = x[order], y[order]
    finite = np.isfinite(y)
    cap = np.median(y[finite])
    y = np.minimum(np.where(finite, y, cap), cap)
    y = (y - y.mean()) / (np.std(y) or 1.0)
    # A failed trial (or one breaking a bound) is one standard deviation worse than the worst
    # kept loss: at the median, the GP's expected improvement kept half the trials past a
    # constraint's edge (tests/core/test_multi_objective.py), with it 65-95% are feasible.
    y = np.where(finite, y, y.max() + 1.0)
    return np.where(np.isnan(x), _INACTIVE, x), y


def hyperparameters(log: TrialLog) -> np.ndarray:
    """The GP's log-lengthscales and log-noise, fitted on the first p trials, p the trial count
    rounded down to a multiple of `_REFIT` (around the best of them), kept in the log's memo.

    A fit is a few ms of L-BFGS (tens of likelihood evaluations), more than an ask may cost;
    the lengthscales change slowly, so they are fitted anew every `_REFIT` trials only. They
    depend on the first p trials alone, so a kept log and a fresh one give the same.
    """
    from app.core.local_gp import fit_hyperparameters

    n = len(log.y)
    p = max(n - n % _REFIT, min(n, log.space.ndim + 2))
    marks = log.memo(("zoom-gp", _REFIT))
    for position, theta in reversed(marks):
        if position == p:
            return theta
    x, y = log.x[:p], log.y[:p]
    if np.isfinite(y).any():
        x, y = _near(x, y, x[int(np.argmin(np.where(np.isfinite(y), y, np.inf)))])
        theta = fit_hyperparameters(x[:_HYPER_TRIALS], y[:_HYPER_TRIALS])
    else:  # nothing to learn from: the prior's lengthscales
        theta = fit_hyperparameters(x[:0], y[:0])
    while marks and marks[-1][0] >= p:
        marks.pop()
    marks.append((p, theta))
    del marks[:-4]
    return theta
