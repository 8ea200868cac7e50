"""Search spaces: typed parameters and one codec to the unit cube and back.

Every sampler draws points in [0, 1)^d and every region is a box in that cube; `decode` turns a
point into real values on the right scale (a log parameter is uniform in log space), so "where a
trial is" means the same thing to samplers, regions and plots.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

Choice = str | int | float | bool
Params = dict[str, Any]


class SpaceError(ValueError):
    """A space, a region or a value is invalid; `loc` names the offending field."""

    def __init__(self, loc: Iterable[str], problem: str) -> None:
        self.loc = tuple(loc)
        self.problem = problem
        super().__init__(f"{'.'.join(self.loc)}: {problem}" if self.loc else problem)


def _finite(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpaceError((name, key), f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise SpaceError((name, key), f"must be finite, got {value!r}")
    return value


@dataclass(frozen=True)
class FloatParam:
    """A real number in [low, high]; `log` samples uniformly in log space; `step` quantizes."""

    name: str
    low: float
    high: float
    log: bool = False
    step: float | None = None
    type: ClassVar[str] = "float"

    def __post_init__(self) -> None:
        _check_bounds(self.name, self.low, self.high, self.log, strict=True)
        if self.step is not None:
            if self.log:
                raise SpaceError((self.name, "step"), "cannot be combined with log=true")
            if self.step <= 0:
                raise SpaceError((self.name, "step"), "must be positive")
            k = (self.high - self.low) / self.step
            if abs(k - round(k)) > 1e-9 * max(1.0, k):
                raise SpaceError(
                    (self.name, "step"), f"{self.step} does not divide [{self.low}, {self.high}]"
                )

    def decode(self, u: np.ndarray) -> list[float]:
        """Map unit-cube coordinates to values."""
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            x = np.exp(lo + u * (hi - lo))
        else:
            x = self.low + u * (self.high - self.low)
        if self.step is not None:
            x = self.low + np.round((x - self.low) / self.step) * self.step
        return [float(v) for v in np.clip(x, self.low, self.high)]

    def encode(self, value: Any) -> float:
        """Map a value to its unit-cube coordinate."""
        v = float(value)
        if self.log:
            return (math.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (v - self.low) / (self.high - self.low)

    def contains(self, value: Any) -> bool:
        """Whether `value` is a number inside the bounds."""
        return _is_number(value) and self.low <= value <= self.high

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, the inverse of `param_from_dict`."""
        out: dict[str, Any] = {"type": "float", "low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.step is not None:
            out["step"] = self.step
        return out


@dataclass(frozen=True)
class IntParam:
    """An integer in [low, high] (inclusive) on a grid of `step`; `log` for sizes like 8..256.

    Each integer owns an equal slice of the unit interval (of log space when `log`), so the
    end points are drawn as often as the inner values.
    """

    name: str
    low: int
    high: int
    log: bool = False
    step: int = 1
    type: ClassVar[str] = "int"

    def __post_init__(self) -> None:
        for key in ("low", "high", "step"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpaceError((self.name, key), f"must be an integer, got {value!r}")
        _check_bounds(self.name, self.low, self.high, self.log, strict=False)
        if self.step < 1:
            raise SpaceError((self.name, "step"), "must be a positive integer")
        if self.log and self.step != 1:
            raise SpaceError((self.name, "step"), "must be 1 when log=true")
        if (self.high - self.low) % self.step:
            raise SpaceError(
                (self.name, "step"), f"{self.step} does not divide [{self.low}, {self.high}]"
            )

    def _log_edges(self) -> tuple[float, float]:
        # low >= 1 when log, so every integer v owns [log(v - 0.5), log(v + 0.5)].
        return math.log(self.low - 0.5), math.log(self.high + 0.5)

    def decode(self, u: np.ndarray) -> list[int]:
        """Map unit-cube coordinates to integers."""
        if self.log:
            lo, hi = self._log_edges()
            x = np.rint(np.exp(lo + u * (hi - lo)))
        else:
            k = np.floor(u * ((self.high - self.low) // self.step + 1))
            x = self.low + k * self.step
        return [int(v) for v in np.clip(x, self.low, self.high)]

    def encode(self, value: Any) -> float:
        """Map an integer to the centre of its slice of the unit interval."""
        if self.log:
            lo, hi = self._log_edges()
            v = int(value)
            return ((math.log(v - 0.5) + math.log(v + 0.5)) / 2 - lo) / (hi - lo)
        n = (self.high - self.low) // self.step + 1
        return ((int(value) - self.low) // self.step + 0.5) / n

    def contains(self, value: Any) -> bool:
        """Whether `value` is an integer on the grid inside the bounds."""
        if not _is_number(value) or value != int(value):
            return False
        return self.low <= value <= self.high and (int(value) - self.low) % self.step == 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, the inverse of `param_from_dict`."""
        out: dict[str, Any] = {"type": "int", "low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.step != 1:
            out["step"] = self.step
        return out


@dataclass(frozen=True)
class CategoricalParam:
    """One of a list of choices; each choice owns an equal slice of the unit interval."""

    name: str
    choices: tuple[Choice, ...]
    type: ClassVar[str] = "categorical"

    def __post_init__(self) -> None:
        if not self.choices:
            raise SpaceError((self.name, "choices"), "must not be empty")
        seen: list[tuple[type, Choice]] = []
        for choice in self.choices:
            if not isinstance(choice, str | int | float | bool):
                raise SpaceError((self.name, "choices"), f"{choice!r} is not a string or number")
            if isinstance(choice, float) and not math.isfinite(choice):
                raise SpaceError((self.name, "choices"), f"{choice!r} is not finite")
            key = (type(choice), choice)
            if key in seen:
                raise SpaceError((self.name, "choices"), f"{choice!r} appears twice")
            seen.append(key)

    def decode(self, u: np.ndarray) -> list[Choice]:
        """Map unit-cube coordinates to choices."""
        idx = np.minimum((u * len(self.choices)).astype(int), len(self.choices) - 1)
        return [self.choices[i] for i in idx]

    def index(self, value: Any) -> int:
        """The position of `value` among the choices (True is not 1 here)."""
        for i, choice in enumerate(self.choices):
            if type(choice) is type(value) and choice == value:
                return i
        raise SpaceError((self.name,), f"{value!r} is not one of {list(self.choices)!r}")

    def encode(self, value: Any) -> float:
        """Map a choice to the centre of its slice."""
        return (self.index(value) + 0.5) / len(self.choices)

    def contains(self, value: Any) -> bool:
        """Whether `value` is one of the choices."""
        return any(type(c) is type(value) and c == value for c in self.choices)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, the inverse of `param_from_dict`."""
        return {"type": "categorical", "choices": list(self.choices)}


Param = FloatParam | IntParam | CategoricalParam

_KEYS = {
    "float": {"type", "low", "high", "log", "step"},
    "int": {"type", "low", "high", "log", "step"},
    "categorical": {"type", "choices"},
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_bounds(name: str, low: float, high: float, log: bool, *, strict: bool) -> None:
    low, high = _finite(name, "low", low), _finite(name, "high", high)
    if low > high or (strict and low == high):
        raise SpaceError((name, "low"), f"low ({low}) must be less than high ({high})")
    if log and low <= 0:
        raise SpaceError((name, "low"), f"must be positive when log=true, got {low}")


def param_from_dict(name: str, spec: Mapping[str, Any]) -> Param:
    """Build a parameter from its JSON form, naming the parameter and key in every error."""
    if not isinstance(spec, Mapping):
        raise SpaceError((name,), "must be an object with a 'type'")
    kind = spec.get("type")
    if kind not in _KEYS:
        raise SpaceError((name, "type"), f"must be one of {sorted(_KEYS)}, got {kind!r}")
    unknown = sorted(set(spec) - _KEYS[kind])
    if unknown:
        raise SpaceError((name, unknown[0]), f"unknown key for a {kind} parameter")
    if kind == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list | tuple):
            raise SpaceError((name, "choices"), "must be a list")
        return CategoricalParam(name, tuple(choices))
    for key in ("low", "high"):
        if key not in spec or spec[key] is None:
            raise SpaceError((name, key), "is required")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise SpaceError((name, "log"), f"must be true or false, got {log!r}")
    if kind == "float":
        step = spec.get("step")
        if step is not None:
            step = _finite(name, "step", step)
        low, high = _finite(name, "low", spec["low"]), _finite(name, "high", spec["high"])
        return FloatParam(name, float(low), float(high), log, step)
    step = spec.get("step", 1)
    return IntParam(
        name,
        _as_int(name, "low", spec["low"]),
        _as_int(name, "high", spec["high"]),
        log,
        _as_int(name, "step", 1 if step is None else step),
    )


def _as_int(name: str, key: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpaceError((name, key), f"must be an integer, got {value!r}")
    return value


class SearchSpace:
    """An ordered set of named parameters with a codec to the unit cube."""

    def __init__(self, params: Iterable[Param]) -> None:
        self.params: dict[str, Param] = {}
        for p in params:
            if p.name in self.params:
                raise SpaceError((p.name,), "is defined twice")
            self.params[p.name] = p
        if not self.params:
            raise SpaceError((), "a space needs at least one parameter")

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> SearchSpace:
        """Build a space from its JSON form: {name: {"type": ..., ...}}."""
        if not isinstance(spec, Mapping):
            raise SpaceError((), "a space must be an object mapping names to parameters")
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

    def __len__(self) -> int:
        return len(self.params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self.params == other.params

    def __repr__(self) -> str:
        return f"SearchSpace({self.to_dict()!r})"

    def decode(self, points: np.ndarray) -> list[Params]:
        """Turn an (n, d) array of unit-cube points into n parameter dicts."""
        points = np.atleast_2d(np.asarray(points, dtype=float))
        if points.shape[1] != len(self):
            raise ValueError(f"expected {len(self)} columns, got {points.shape[1]}")
        columns = {name: p.decode(points[:, j]) for j, (name, p) in enumerate(self.params.items())}
        return [{name: col[i] for name, col in columns.items()} for i in range(len(points))]

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Turn one parameter dict into its unit-cube point."""
        return np.array([p.encode(params[name]) for name, p in self.params.items()])

    def validate_params(self, params: Mapping[str, Any]) -> None:
        """Raise SpaceError unless `params` names every parameter with a value inside its range."""
        for name in params:
            if name not in self.params:
                raise SpaceError((name,), "is not a parameter of this space")
        for name, p in self.params.items():
            if name not in params:
                raise SpaceError((name,), "is missing")
            if not p.contains(params[name]):
                raise SpaceError((name,), f"{params[name]!r} is outside {p.to_dict()}")
