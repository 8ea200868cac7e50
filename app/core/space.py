"""Search spaces: typed parameters, conditions, and one codec to the unit cube and back.

Every sampler draws points in [0, 1)^d and every region is a box in that cube; `decode` turns a
point into real values on the right scale (a log parameter is uniform in log space), so "where a
trial is" means the same thing to samplers, regions and plots. A conditional parameter keeps its
dimension but is left out of a configuration where its condition fails.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np

from app.core.cache import BoundedCache
from app.core.params import (
    MAX_CHOICES,
    CategoricalParam,
    Choice,
    Condition,
    FixedParam,
    FloatParam,
    IntParam,
    Numeric,
    Param,
    Params,
    SpaceError,
    param_from_dict,
    same_value,
)

__all__ = [
    "MAX_CHOICES",
    "MAX_PARAMS",
    "MAX_SPACE_VALUES",
    "CategoricalParam",
    "Choice",
    "Condition",
    "FixedParam",
    "FloatParam",
    "IntParam",
    "Numeric",
    "Param",
    "Params",
    "SearchSpace",
    "SpaceError",
    "param_from_dict",
    "parsed_space",
    "same_value",
]

Dimension = FloatParam | IntParam | CategoricalParam
# Parameters of one space (as the API allows), and choices plus condition values over all of
# them: together they bound what parsing, checking and decoding a space can cost.
MAX_PARAMS = 1_000
MAX_SPACE_VALUES = 100_000


class SearchSpace:
    """An ordered set of named parameters with a codec to the unit cube."""

    def __init__(self, params: Iterable[Param]) -> None:
        self.params: dict[str, Param] = {}
        values = 0
        for p in params:
            if p.name in self.params:
                raise SpaceError((p.name,), "is defined twice")
            self.params[p.name] = p
            values += _values(p)
            _check_size(len(self.params), values)
        if not self.params:
            raise SpaceError((), "a space needs at least one parameter")
        for p in self.params.values():
            _check_condition(self.params, p)
        self.order: list[str] = _topological_order(self.params)
        self.dims: list[Dimension] = [
            p for p in self.params.values() if not isinstance(p, FixedParam)
        ]

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> SearchSpace:
        """Build a space from its JSON form: {name: {"type": ..., ...}}."""
        if not isinstance(spec, Mapping):
            raise SpaceError((), "a space must be an object mapping names to parameters")
        _check_size(len(spec), 0)
        for name in spec:
            if not isinstance(name, str) or not name.strip():
                raise SpaceError((str(name),), "parameter names must be non-empty strings")
        return cls(param_from_dict(name, p) for name, p in spec.items())

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The JSON form; `SearchSpace.from_dict(s.to_dict())` equals `s`."""
        return {name: p.to_dict() for name, p in self.params.items()}

    @property
    def names(self) -> list[str]:
        """Parameter names in order."""
        return list(self.params)

    @property
    def ndim(self) -> int:
        """Dimensions of the unit cube: one per parameter that is not fixed."""
        return len(self.dims)

    @property
    def conditional(self) -> bool:
        """Whether any parameter has a condition."""
        return any(p.condition for p in self.params.values())

    def __len__(self) -> int:
        return len(self.params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self.params == other.params

    def __repr__(self) -> str:
        return f"SearchSpace({self.to_dict()!r})"

    def is_active(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether `name`'s condition holds for `params` (whose parents must be settled)."""
        return _holds(self.params[name].condition, params)

    def decode(self, points: np.ndarray) -> list[Params]:
        """Turn an (n, ndim) array of unit-cube points into n configurations.

        Args:
            points: coordinates in [0, 1), one column per entry of `dims`.

        Returns:
            One dict per row, in the space's order, holding the active parameters only;
            fixed parameters carry their value.
        """
        points = np.asarray(points, dtype=float).reshape(-1, self.ndim)
        columns = {p.name: p.decode(points[:, j]) for j, p in enumerate(self.dims)}
        return [self._configuration(columns, i) for i in range(len(points))]

    def _configuration(self, columns: Mapping[str, list[Any]], i: int) -> Params:
        out: Params = {}
        for name in self.order:
            p = self.params[name]
            if _holds(p.condition, out):
                out[name] = p.value if isinstance(p, FixedParam) else columns[name][i]
        return {name: out[name] for name in self.params if name in out}

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Turn one configuration into its unit-cube point; NaN where a parameter is absent."""
        return np.array(
            [p.encode(params[p.name]) if p.name in params else np.nan for p in self.dims]
        )

    def validate_params(self, params: Mapping[str, Any]) -> None:
        """Raise SpaceError unless `params` holds exactly the active parameters, each in range."""
        for name in params:
            if name not in self.params:
                raise SpaceError((name,), "is not a parameter of this space")
        for name in self.order:
            p = self.params[name]
            active = _holds(p.condition, params)
            if active and name not in params:
                raise SpaceError((name,), "is missing")
            if not active and name in params:
                raise SpaceError((name,), f"must be absent: its condition {_show(p)} fails")
            if active and not p.contains(params[name]):
                raise SpaceError((name,), f"{params[name]!r} is outside {p.to_dict()}")

    def contains(self, params: Mapping[str, Any]) -> bool:
        """Whether `params` is a valid configuration of this space."""
        try:
            self.validate_params(params)
        except SpaceError:
            return False
        return True


def _values(p: Param) -> int:
    """The listed values a parameter brings: its choices and its conditions' values."""
    listed = len(p.choices) if isinstance(p, CategoricalParam) else 0
    return listed + sum(len(values) for _, values in p.condition)


def _check_size(n_params: int, n_values: int) -> None:
    if n_params > MAX_PARAMS:
        raise SpaceError((), f"a space holds at most {MAX_PARAMS:,} parameters, got {n_params:,}")
    if n_values > MAX_SPACE_VALUES:
        raise SpaceError(
            (),
            f"a space lists at most {MAX_SPACE_VALUES:,} choices and condition values in all "
            f"(at most {MAX_CHOICES:,} per parameter)",
        )


# Parsed spaces by (key, JSON text): an ask re-reads its search's space every time, and parsing
# 50,000 choices costs far more than writing them out to compare. Each entry weighs its text's
# length; the objects of a parsed space take a few times that.
_PARSED: BoundedCache[tuple[SearchSpace, int]] = BoundedCache(4_000_000, lambda entry: entry[1])


def parsed_space(key: Hashable, spec: Mapping[str, Any]) -> SearchSpace:
    """`SearchSpace.from_dict(spec)`, shared while `key` (a search id) keeps this content."""
    text = json.dumps(spec, separators=(",", ":"))
    entry = _PARSED.get_or_make((key, text), lambda: (SearchSpace.from_dict(spec), len(text)))
    return entry[0]


def _holds(condition: Condition, params: Mapping[str, Any]) -> bool:
    for parent, values in condition:
        if parent not in params or not any(same_value(params[parent], v) for v in values):
            return False
    return True


def _show(p: Param) -> str:
    return " and ".join(f"{parent} in {list(values)!r}" for parent, values in p.condition)


def _check_condition(params: Mapping[str, Param], p: Param) -> None:
    for parent, values in p.condition:
        if parent not in params:
            raise SpaceError(
                (p.name, "condition"), f"refers to {parent!r}, which is not a parameter"
            )
        if parent == p.name:
            raise SpaceError((p.name, "condition"), "a parameter cannot depend on itself")
        for value in values:
            if not params[parent].contains(value):
                raise SpaceError((p.name, "condition"), f"{parent!r} can never be {value!r}")


def _topological_order(params: Mapping[str, Param]) -> list[str]:
    """Parents before children, otherwise the space's order; a cycle names a parameter on it."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join((*path[path.index(name) :], name))
            raise SpaceError((name, "condition"), f"conditions form a cycle: {cycle}")
        state[name] = "visiting"
        for parent, _ in params[name].condition:
            visit(parent, (*path, name))
        state[name] = "done"
        order.append(name)

    for name in params:
        visit(name, ())
    return order
