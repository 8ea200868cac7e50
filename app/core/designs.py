"""Samplers that need no history: a grid and the quasi-random designs of scipy.stats.qmc.

Point `number` of a design is a pure function of (seed, number, budget), so any worker can
compute the point for the trial number it claimed and no point is drawn twice.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from app.core.params import CategoricalParam, FixedParam, IntParam
from app.core.sampling import History, NoOptions, Position, check_options
from app.core.space import Dimension, Params, SearchSpace, SpaceError

# Beyond this many configurations a grid is a mistake, not a search.
MAX_GRID = 200_000
DEFAULT_RESOLUTION = 5


class GridSampler:
    """Every combination of a per-parameter lattice, visited in a seeded random order.

    Args (options):
        resolution: points per numeric parameter (int, or a mapping name -> int); log-aware;
            an int parameter takes distinct integers; a categorical one takes all choices.
    """

    name = "grid"
    needs_history = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        check_options(self.name, options, {"resolution"})
        self.resolution = _parse_resolution((options or {}).get("resolution", DEFAULT_RESOLUTION))

    def check(self, space: SearchSpace, n_trials: int) -> None:
        """Refuse a budget larger than the grid, so no point is asked twice."""
        size = len(self.lattice(space))
        if n_trials > size:
            raise SpaceError(
                ("n_trials",),
                f"the grid has only {size} points; ask for at most {size} or raise the resolution",
            )

    def lattice(self, space: SearchSpace) -> list[Params]:
        """The distinct configurations of the grid, in a fixed order."""
        if isinstance(self.resolution, dict):
            for name in self.resolution:
                if name not in space.params:
                    raise SpaceError(("options", "resolution", name), "is not a parameter")
        key = json.dumps(self.resolution, sort_keys=True)
        return _lattice(json.dumps(space.to_dict()), key)

    def suggest(
        self,
        space: SearchSpace,
        history: History,
        rng: np.random.Generator,
        n: int,
        *,
        position: Position | None = None,
        direction: str = "minimize",
    ) -> list[Params]:
        """Grid points `number`.. of a seeded permutation; without a position, random ones."""
        points = self.lattice(space)
        if position is None:
            return [dict(points[i]) for i in rng.integers(len(points), size=n)]
        order = _permutation(position.seed, len(points))
        return [dict(points[order[(position.number + i) % len(points)]]) for i in range(n)]


def _parse_resolution(value: Any) -> int | dict[str, int]:
    def one(key: tuple[str, ...], v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 1000:
            raise SpaceError(
                ("options", "resolution", *key), f"must be an int in [1, 1000], got {v!r}"
            )
        return v

    if isinstance(value, Mapping):
        return {str(k): one((str(k),), v) for k, v in value.items()}
    return one((), value)


def _levels(p: Dimension, resolution: int) -> list[Any]:
    if isinstance(p, CategoricalParam):
        return list(p.choices)
    if isinstance(p, IntParam) and p.size <= resolution:
        return list(range(p.low, p.high + 1, p.step))
    u = np.linspace(0.0, 1.0, resolution) if resolution > 1 else np.array([0.5])
    values = p.decode(u)
    return [v for i, v in enumerate(values) if v not in values[:i]]


@lru_cache(maxsize=32)
def _lattice(space_json: str, resolution_json: str) -> list[Params]:
    space = SearchSpace.from_dict(json.loads(space_json))
    resolution = json.loads(resolution_json)

    def res(name: str) -> int:
        return (
            resolution.get(name, DEFAULT_RESOLUTION)
            if isinstance(resolution, dict)
            else resolution
        )

    configs: list[Params] = [{}]
    for name in space.order:
        p = space.params[name]
        values = [p.value] if isinstance(p, FixedParam) else _levels(p, res(name))
        configs = [
            {**c, name: v} if space.is_active(name, c) else c
            for c in configs
            for v in (values if space.is_active(name, c) else [None])
        ]
        if len(configs) > MAX_GRID:
            raise SpaceError(
                ("options", "resolution"), f"the grid would have over {MAX_GRID} points"
            )
    return [{k: c[k] for k in space.params if k in c} for c in configs]


@lru_cache(maxsize=32)
def _permutation(seed: int, size: int) -> np.ndarray:
    # Shuffled, so a budget smaller than the grid still spreads over the whole space.
    return np.random.default_rng([seed, 0x67726964]).permutation(size)


class _QmcSampler(NoOptions):
    """Point `number` of a scrambled design seeded with the search seed."""

    name = "qmc"
    needs_history = False

    def suggest(
        self,
        space: SearchSpace,
        history: History,
        rng: np.random.Generator,
        n: int,
        *,
        position: Position | None = None,
        direction: str = "minimize",
    ) -> list[Params]:
        """Points `number`..`number + n - 1` of the design; without a position, uniform ones."""
        if position is None or space.ndim == 0:
            return space.decode(rng.random((n, space.ndim)))
        return space.decode(self.points(position, space.ndim, n))

    def points(self, position: Position, d: int, n: int) -> np.ndarray:
        """The design's rows for this position, in the unit cube."""
        raise NotImplementedError


def _pow2(n: int) -> int:
    return max(1, (n - 1).bit_length())


class SobolSampler(_QmcSampler):
    """Scrambled Sobol' points: balanced in every projection at powers of two."""

    name = "sobol"

    def points(self, position: Position, d: int, n: int) -> np.ndarray:
        """Rows of a power-of-two design large enough for the budget."""
        m = _pow2(max(position.budget, position.number + n))
        return sobol_design(position.seed, d, m)[position.number : position.number + n]


class HaltonSampler(_QmcSampler):
    """Scrambled Halton points: an extensible low-discrepancy sequence."""

    name = "halton"

    def points(self, position: Position, d: int, n: int) -> np.ndarray:
        """Rows of a design as long as the budget (rounded up, so designs are shared)."""
        size = 2 ** _pow2(max(position.budget, position.number + n))
        return _halton(position.seed, d, size)[position.number : position.number + n]


class LhsSampler(_QmcSampler):
    """Latin hypercube over the budget: each parameter's range cut into n_trials strata."""

    name = "lhs"

    def points(self, position: Position, d: int, n: int) -> np.ndarray:
        """Rows of the budget's design; trials beyond the budget start a fresh design."""
        budget = max(position.budget, 1)
        rows = []
        for number in range(position.number, position.number + n):
            block, row = divmod(number, budget)
            rows.append(_lhs(position.seed, d, budget, block)[row])
        return np.array(rows)


@lru_cache(maxsize=64)
def sobol_design(seed: int, d: int, m: int) -> np.ndarray:
    """The first 2**m points of the scrambled Sobol' sequence for `seed` (prefix-stable)."""
    engine = _engine("Sobol", d, np.random.default_rng([seed, 1]), scramble=True)
    return _frozen(engine.random_base2(m))


@lru_cache(maxsize=64)
def _halton(seed: int, d: int, size: int) -> np.ndarray:
    engine = _engine("Halton", d, np.random.default_rng([seed, 2]), scramble=True)
    return _frozen(engine.random(size))


@lru_cache(maxsize=64)
def _lhs(seed: int, d: int, budget: int, block: int) -> np.ndarray:
    engine = _engine("LatinHypercube", d, np.random.default_rng([seed, 3, block]))
    return _frozen(engine.random(budget))


def _engine(kind: str, d: int, rng: np.random.Generator, **options: Any) -> Any:
    """A scipy.stats.qmc engine, imported on first use: scipy.stats takes over a second to
    import, and the server, the CLI and workers running other samplers never need it."""
    from scipy.stats import qmc

    engine = getattr(qmc, kind)
    # scipy 1.15 renamed the engines' `seed` to `rng`.
    key = "rng" if "rng" in inspect.signature(engine.__init__).parameters else "seed"
    return engine(d, **options, **{key: rng})


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a
