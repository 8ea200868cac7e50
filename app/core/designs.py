"""Samplers that need no history: a grid and the quasi-random designs of scipy.stats.qmc.

Point `number` of a design is a pure function of (seed, number, budget), so any worker can
compute the point for the trial number it claimed and no point is drawn twice.

What a design may cost is bounded (issue 14): a Sobol' or Halton point is computed by itself
from the engine's state, never as a row of the whole design; a grid is counted before each step
of building it and kept as level codes, not dicts; a Latin hypercube, which only exists whole,
is refused at creation past MAX_DESIGN_CELLS. Every cache is bounded by the bytes it holds.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.cache import BoundedCache, nbytes
from app.core.params import CategoricalParam, Condition, FixedParam, IntParam
from app.core.sampling import History, NoOptions, Position, check_options
from app.core.space import Dimension, Params, SearchSpace, SpaceError

# Beyond this many configurations a grid is a mistake, not a search.
MAX_GRID = 200_000
# Values a grid holds (points x parameters, as 4-byte codes: 32 MB), and codes written while
# building it: a space of many conditional parameters writes more than it keeps.
MAX_GRID_CELLS = 2**23
MAX_GRID_WORK = 16 * MAX_GRID_CELLS
DEFAULT_RESOLUTION = 5
# Values of a whole Latin hypercube (trials x parameters, 32 MB as floats, about 0.5 s to draw).
MAX_DESIGN_CELLS = 2**22
# A scrambled Halton engine holds a permutation per digit of each dimension's prime: 10 MB at
# 256 dimensions but 114 MB and 0.7 s to make at 1,000. Sobol' serves more dimensions cheaply.
MAX_HALTON_DIMS = 256
SOBOL_BITS = 30  # scipy's default: 2**30 points per design
MAX_SOBOL_POINTS = 2**SOBOL_BITS


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

    def lattice(self, space: SearchSpace) -> Lattice:
        """The distinct configurations of the grid, in a fixed order."""
        if isinstance(self.resolution, dict):
            for name in self.resolution:
                if name not in space.params:
                    raise SpaceError(("options", "resolution", name), "is not a parameter")
        key = (json.dumps(space.to_dict()), json.dumps(self.resolution, sort_keys=True))
        return _LATTICES.get_or_make(key, lambda: _lattice(space, self.resolution))

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
        """Grid points `number`.. of a seeded permutation of the lattice."""
        points = self.lattice(space)
        order = _permutation(position.seed, len(points))
        return [points.point(int(order[(position.number + i) % len(points)])) for i in range(n)]


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
    # Distinct values in order (decoded floats or ints: == and hashing agree on them).
    return list(dict.fromkeys(p.decode(u)))


@dataclass(frozen=True)
class Lattice:
    """A grid as level codes: row i holds, per parameter, the index of its value in `levels`
    (-1 where inactive); a configuration is built as a dict only when it is asked for."""

    names: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[Params]:
        return (self.point(i) for i in range(len(self)))

    def point(self, i: int) -> Params:
        """Configuration `i`, its parameters in the space's order."""
        row = self.codes[i].tolist()
        return {n: lv[c] for n, lv, c in zip(self.names, self.levels, row, strict=True) if c >= 0}


def _lattice(space: SearchSpace, resolution: int | dict[str, int]) -> Lattice:
    """Every configuration of the grid, in the order it was always built: parameters in the
    space's dependency order, each expanding the rows where it is active into its levels. The
    size of each step is counted before the step is taken."""
    names = space.order
    levels = [_grid_levels(space, name, resolution) for name in names]
    codes, work = np.zeros((1, len(names)), dtype=np.int32), 0
    for j, name in enumerate(names):
        active = _active(space.params[name].condition, names, levels, codes)
        counts = np.where(active, len(levels[j]), 1)
        size = int(counts.sum())
        if size > len(codes):
            work += _check_grid(name, size, j, len(names), work)
            codes = _expand(codes, j, counts, size)
        codes[:, j] = _column(active, counts, size, len(levels[j]))
    order = [names.index(name) for name in space.params]
    return Lattice(tuple(space.params), tuple(tuple(levels[k]) for k in order), codes[:, order])


def _grid_levels(space: SearchSpace, name: str, resolution: int | dict[str, int]) -> list[Any]:
    """The values the grid gives `name`: a fixed value's one, else its levels."""
    p = space.params[name]
    if isinstance(p, FixedParam):
        return [p.value]
    res = resolution.get(name, DEFAULT_RESOLUTION) if isinstance(resolution, dict) else resolution
    return _levels(p, res)


def _check_grid(name: str, size: int, done: int, n_params: int, work: int) -> int:
    """Refuse a step that would pass a bound; return the codes it copies."""
    where = ("options", "resolution")
    if size > MAX_GRID:
        raise SpaceError(
            where,
            f"the grid would have {size:,} points by parameter {name!r:.80}, over {MAX_GRID:,}; "
            "lower the resolution or use fewer choices",
        )
    if size * n_params > MAX_GRID_CELLS or work + size * done > MAX_GRID_WORK:
        raise SpaceError(
            where,
            f"the grid's {size:,} points of {n_params:,} parameters are too many values "
            f"(at most {MAX_GRID_CELLS:,}); lower the resolution or use fewer parameters",
        )
    return size * done


def _active(
    condition: Condition, names: list[str], levels: list[list[Any]], codes: np.ndarray
) -> np.ndarray:
    """Which rows a condition holds on: each parent's code is one of its allowed levels."""
    active = np.ones(len(codes), dtype=bool)
    for parent, values in condition:
        k = names.index(parent)
        wanted = {_loose(v) for v in values}
        allowed = [i for i, level in enumerate(levels[k]) if _loose(level) in wanted]
        active &= np.isin(codes[:, k], allowed)
    return active


def _loose(value: Any) -> tuple[str, Any]:
    """A key equal for two values exactly when `same_value` says they are the same."""
    kind = "bool" if isinstance(value, bool) else "str" if isinstance(value, str) else "number"
    return kind, value


def _expand(codes: np.ndarray, done: int, counts: np.ndarray, size: int) -> np.ndarray:
    """Row i repeated counts[i] times, its first `done` columns copied, the rest left to fill."""
    grown = np.empty((size, codes.shape[1]), dtype=np.int32)
    grown[:, :done] = np.repeat(codes[:, :done], counts, axis=0)
    return grown


def _column(active: np.ndarray, counts: np.ndarray, size: int, n: int) -> np.ndarray:
    """The new parameter's codes: 0..n-1 down each active row's block, -1 where inactive."""
    if size == len(counts):
        return np.where(active, 0, -1)
    column = np.full(size, -1, dtype=np.int32)
    firsts = (np.cumsum(counts) - counts)[active]
    column[(firsts[:, None] + np.arange(n)).ravel()] = np.tile(np.arange(n), len(firsts))
    return column


def _lattice_bytes(lattice: Lattice) -> int:
    """A lattice's weight in its cache: the codes, and a rough 64 bytes per level."""
    return lattice.codes.nbytes + 64 * sum(len(lv) for lv in lattice.levels)


# A few full-size lattices; a server runs few grid searches at once.
_LATTICES: BoundedCache[Lattice] = BoundedCache(128 * 2**20, _lattice_bytes)
_PERMUTATIONS: BoundedCache[np.ndarray] = BoundedCache(32 * 2**20, nbytes)


def _permutation(seed: int, size: int) -> np.ndarray:
    """The order grid points are visited in: shuffled, so a budget smaller than the grid
    still spreads over the whole space."""
    return _PERMUTATIONS.get_or_make(
        (seed, size), lambda: np.random.default_rng([seed, 0x67726964]).permutation(size)
    )


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
        position: Position,
        direction: str = "minimize",
    ) -> list[Params]:
        """Points `number`..`number + n - 1` of the design."""
        if space.ndim == 0:
            return space.decode(rng.random((n, 0)))
        return space.decode(self.points(position, space.ndim, n))

    def points(self, position: Position, d: int, n: int) -> np.ndarray:
        """The design's rows for this position, in the unit cube."""
        raise NotImplementedError


class SobolSampler(_QmcSampler):
    """Scrambled Sobol' points: balanced in every projection at powers of two."""

    name = "sobol"

    def check(self, space: SearchSpace, n_trials: int) -> None:
        """Refuse a budget past the sequence's length."""
        if n_trials > MAX_SOBOL_POINTS:
            raise SpaceError(("n_trials",), f"a Sobol' design has at most 2**{SOBOL_BITS} points")

    def points(self, position: Position, d: int, n: int) -> np.ndarray:
        """Rows `number`.. of the design (prefix-stable, so the budget does not matter)."""
        return sobol_points(position.seed, d, position.number, n)


class HaltonSampler(_QmcSampler):
    """Scrambled Halton points: an extensible low-discrepancy sequence."""

    name = "halton"

    def check(self, space: SearchSpace, n_trials: int) -> None:
        """Refuse a space whose engine would be too costly to make (see MAX_HALTON_DIMS)."""
        if space.ndim > MAX_HALTON_DIMS:
            raise SpaceError(
                ("sampler",),
                f"halton takes at most {MAX_HALTON_DIMS} parameters, this space has "
                f"{space.ndim:,}; use sobol",
            )

    def points(self, position: Position, d: int, n: int) -> np.ndarray:
        """Rows `number`.. of the design (each row depends on its index only)."""
        return halton_points(position.seed, d, position.number, n)


class LhsSampler(_QmcSampler):
    """Latin hypercube over the budget: each parameter's range cut into n_trials strata."""

    name = "lhs"

    def check(self, space: SearchSpace, n_trials: int) -> None:
        """Refuse a design too large to draw and keep (see MAX_DESIGN_CELLS)."""
        d = max(space.ndim, 1)
        if n_trials * d > MAX_DESIGN_CELLS:
            raise SpaceError(
                ("n_trials",),
                f"a Latin hypercube of {d:,} parameters takes at most "
                f"{MAX_DESIGN_CELLS // d:,} trials ({MAX_DESIGN_CELLS:,} values); use sobol",
            )

    def points(self, position: Position, d: int, n: int) -> np.ndarray:
        """Rows of the budget's design; trials beyond the budget start a fresh design. A
        budget stored before the limit is served as consecutive designs within the limit."""
        budget = min(max(position.budget, 1), max(MAX_DESIGN_CELLS // max(d, 1), 1))
        rows = []
        for number in range(position.number, position.number + n):
            block, row = divmod(number, budget)
            rows.append(_lhs(position.seed, d, budget, block)[row])
        return np.array(rows)


# Per (seed, d): a Sobol' engine's direction numbers and shift (120 KB at 1,000 dimensions), a
# Halton engine (its permutations), a Latin hypercube (the whole design).
_SOBOL: BoundedCache[tuple[np.ndarray, np.ndarray]] = BoundedCache(
    32 * 2**20, lambda state: state[0].nbytes + state[1].nbytes
)
_HALTON: BoundedCache[Any] = BoundedCache(64 * 2**20, lambda engine: _halton_bytes(engine))
_LHS: BoundedCache[np.ndarray] = BoundedCache(128 * 2**20, nbytes)


def sobol_points(seed: int, d: int, start: int, n: int) -> np.ndarray:
    """Rows start..start+n-1 of the scrambled Sobol' sequence for `seed`, without the rows
    before them: point k is the shift XOR the direction numbers of the bits of gray(k), which
    is how scipy walks to it one point at a time (so the points are the same)."""
    directions, shift = _SOBOL.get_or_make((seed, d), lambda: _sobol_state(seed, d))
    quasi = np.empty((n, d), dtype=shift.dtype)
    for i, k in enumerate(range(start, start + n)):
        gray = k ^ (k >> 1)
        bits = [b for b in range(gray.bit_length()) if gray >> b & 1]
        quasi[i] = np.bitwise_xor.reduce(directions[:, bits], axis=1) ^ shift if bits else shift
    return quasi * (1.0 / 2**SOBOL_BITS)


def _sobol_state(seed: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """scipy's scrambled direction numbers (d x bits) and shift; private attributes, so
    tests/core/test_design_bounds.py checks the points against scipy's own design."""
    engine = _engine("Sobol", d, np.random.default_rng([seed, 1]), scramble=True)
    return _frozen(engine._sv.copy()), _frozen(engine._shift.copy())


def halton_points(seed: int, d: int, start: int, n: int) -> np.ndarray:
    """Rows start..start+n-1 of the scrambled Halton sequence for `seed`: a copy of the cached
    engine told where to start (its permutations are shared and only read)."""
    engine = _HALTON.get_or_make(
        (seed, d), lambda: _engine("Halton", d, np.random.default_rng([seed, 2]), scramble=True)
    )
    view = copy.copy(engine)
    view.num_generated = start
    return view.random(n)


def _halton_bytes(engine: Any) -> int:
    """A Halton engine's weight in its cache: its permutations, which are most of it."""
    permutations = getattr(engine, "_permutations", None) or []
    return 4096 + sum(p.nbytes for p in permutations if p is not None)


def _lhs(seed: int, d: int, budget: int, block: int) -> np.ndarray:
    """Design `block` of a search's Latin hypercubes: only exists whole, so it is kept."""

    def make() -> np.ndarray:
        engine = _engine("LatinHypercube", d, np.random.default_rng([seed, 3, block]))
        return _frozen(engine.random(budget))

    return _LHS.get_or_make((seed, d, budget, block), make)


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
