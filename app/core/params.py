"""Typed parameters and their JSON form: float, int, categorical and fixed values.

Each parameter owns one dimension of the unit cube (a fixed one owns none) and maps a
coordinate in [0, 1) to a value on its own scale. A parameter may carry a condition: it is
active only when other parameters have given values (`momentum` only when `solver` is `sgd`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from app.core.problems import Problem

Choice = str | int | float | bool
Params = dict[str, Any]
# parent name -> the parent's values that activate the parameter, sorted by parent name.
Condition = tuple[tuple[str, tuple[Choice, ...]], ...]
# Sides of a numeric range that are limits of the parameter itself, not of the search (a
# probability's 1, a decay's 0): no search should go past them, so no edge warning points there.
Sides = tuple[str, ...]
SIDES = ("low", "high")


class SpaceError(Problem):
    """A space, a region or a value is invalid; `loc` names the offending field."""


def same_value(a: Any, b: Any) -> bool:
    """Equality that keeps True apart from 1 and "1" apart from 1, as JSON does."""
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return a == b


EXACT_INT = 2**53
# Choices of one categorical, and values one condition lists for one parent: a longer list is a
# mistake, and every way a space comes in (the API, refine, import, the CLI) meets this limit.
MAX_CHOICES = 10_000


def _finite(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpaceError((name, key), f"must be a number, got {value!r}")
    if not is_finite(value):
        raise SpaceError((name, key), f"must be finite, got {value!r:.40}")
    return value


def is_finite(value: int | float) -> bool:
    """math.isfinite that also says no to an int too large for a float."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _condition_dict(condition: Condition) -> dict[str, list[Choice]]:
    return {parent: list(values) for parent, values in condition}


@dataclass(frozen=True)
class FloatParam:
    """A real number in [low, high]; `log` samples uniformly in log space; `step` quantizes."""

    name: str
    low: float
    high: float
    log: bool = False
    step: float | None = None
    condition: Condition = ()
    hard: Sides = ()
    type: ClassVar[str] = "float"

    def __post_init__(self) -> None:
        _check_bounds(self.name, self.low, self.high, self.log, strict=True)
        _check_hard(self.name, self.hard)
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
        return [float(v) for v in _edges(u, _clip(x, self.low, self.high), self.low, self.high)]

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
        return _with_condition(_with_hard(out, self.hard), self.condition)


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
    condition: Condition = ()
    hard: Sides = ()
    type: ClassVar[str] = "int"

    def __post_init__(self) -> None:
        for key in ("low", "high", "step"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpaceError((self.name, key), f"must be an integer, got {value!r}")
            if abs(value) > EXACT_INT:
                # Beyond 2**53 JSON readers (JavaScript, the API's float bounds) round them.
                raise SpaceError((self.name, key), f"must lie within ±{EXACT_INT} to stay exact")
        _check_bounds(self.name, self.low, self.high, self.log, strict=False)
        _check_hard(self.name, self.hard)
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

    @property
    def size(self) -> int:
        """How many integers the parameter can take."""
        return (self.high - self.low) // self.step + 1

    def decode(self, u: np.ndarray) -> list[int]:
        """Map unit-cube coordinates to integers."""
        if self.log:
            lo, hi = self._log_edges()
            x = np.rint(np.exp(lo + u * (hi - lo)))
        else:
            x = self.low + np.floor(u * self.size) * self.step
        return [int(v) for v in _edges(u, _clip(x, self.low, self.high), self.low, self.high)]

    def encode(self, value: Any) -> float:
        """Map an integer to the centre of its slice of the unit interval."""
        if self.log:
            lo, hi = self._log_edges()
            v = int(value)
            return ((math.log(v - 0.5) + math.log(v + 0.5)) / 2 - lo) / (hi - lo)
        return ((int(value) - self.low) // self.step + 0.5) / self.size

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
        return _with_condition(_with_hard(out, self.hard), self.condition)


@dataclass(frozen=True)
class CategoricalParam:
    """One of a list of choices; each choice owns an equal slice of the unit interval."""

    name: str
    choices: tuple[Choice, ...]
    condition: Condition = ()
    type: ClassVar[str] = "categorical"
    # (type, value) -> position: one lookup per `index` or `contains`, not a scan.
    _positions: dict[tuple[type, Any], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.choices:
            raise SpaceError((self.name, "choices"), "must not be empty")
        _check_length(self.name, "choices", len(self.choices), "choices")
        positions: dict[tuple[type, Any], int] = {}
        for i, choice in enumerate(self.choices):
            _check_choice(self.name, "choices", choice)
            # The type in the key keeps True apart from 1 and 1.0 apart from 1, as JSON does.
            if positions.setdefault((type(choice), choice), i) != i:
                raise SpaceError((self.name, "choices"), f"{choice!r:.80} appears twice")
        object.__setattr__(self, "_positions", positions)

    def decode(self, u: np.ndarray) -> list[Choice]:
        """Map unit-cube coordinates to choices."""
        idx = np.minimum((u * len(self.choices)).astype(int), len(self.choices) - 1)
        return [self.choices[i] for i in idx]

    def index(self, value: Any) -> int:
        """The position of `value` among the choices (True is not 1 here)."""
        position = self._position(value)
        if position is None:
            raise SpaceError((self.name,), f"{value!r:.80} is not one of {self._shown()}")
        return position

    def _shown(self) -> str:
        """The choices for a message: all of a short list, a count of a long one."""
        if len(self.choices) <= 20:
            return repr(list(self.choices))
        return f"its {len(self.choices):,} choices"

    def _position(self, value: Any) -> int | None:
        """Where `value` sits, or None; a hash lookup, so 10,000 choices cost what 2 do."""
        try:
            return self._positions.get((type(value), value))
        except TypeError:  # an unhashable value (a list) is no choice
            return None

    def encode(self, value: Any) -> float:
        """Map a choice to the centre of its slice."""
        return (self.index(value) + 0.5) / len(self.choices)

    def contains(self, value: Any) -> bool:
        """Whether `value` is one of the choices."""
        return self._position(value) is not None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, the inverse of `param_from_dict`."""
        return _with_condition(
            {"type": "categorical", "choices": list(self.choices)}, self.condition
        )


@dataclass(frozen=True)
class FixedParam:
    """A value every trial gets unchanged; it takes no dimension of the unit cube."""

    name: str
    value: Choice
    condition: Condition = ()
    type: ClassVar[str] = "fixed"

    def __post_init__(self) -> None:
        _check_choice(self.name, "value", self.value)

    def contains(self, value: Any) -> bool:
        """Whether `value` is the fixed value."""
        return same_value(value, self.value)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, the inverse of `param_from_dict`."""
        return _with_condition({"type": "fixed", "value": self.value}, self.condition)


Param = FloatParam | IntParam | CategoricalParam | FixedParam
Numeric = FloatParam | IntParam

_KEYS = {
    "float": {"type", "low", "high", "log", "step", "hard", "condition"},
    "int": {"type", "low", "high", "log", "step", "hard", "condition"},
    "categorical": {"type", "choices", "condition"},
    "fixed": {"type", "value", "condition"},
}


def _clip(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """`x` inside [low, high]: np.clip's dispatch cost more than the draw it clips (3 % of a
    no-op trial), minimum and maximum do the same for much less."""
    return np.minimum(np.maximum(x, low), high)


def _edges(u: np.ndarray, x: np.ndarray, low: float, high: float) -> np.ndarray:
    """`x` with the cube's own edges decoded exactly: u = 0 is `low` and u = 1 is `high`, not
    a rounding of them through exp and log or low + (high - low) (issue 16, finding 4)."""
    u = np.asarray(u)
    if not u.size or (u.min() > 0.0 and u.max() < 1.0):
        return x
    return np.where(u <= 0.0, low, np.where(u >= 1.0, high, x))


def _with_condition(out: dict[str, Any], condition: Condition) -> dict[str, Any]:
    if condition:
        out["condition"] = _condition_dict(condition)
    return out


def _with_hard(out: dict[str, Any], hard: Sides) -> dict[str, Any]:
    if hard:
        out["hard"] = list(hard)
    return out


def _check_hard(name: str, hard: Sides) -> None:
    # The canonical form `_parse_hard` makes: equal parameters must compare equal.
    if not isinstance(hard, tuple) or hard != tuple(s for s in SIDES if s in hard):
        raise SpaceError((name, "hard"), f'must be a tuple of "low" then "high", got {hard!r}')


def _check_length(name: str, key: str, n: int, noun: str) -> None:
    """Refuse a list past MAX_CHOICES before any work is spent on its items."""
    if n > MAX_CHOICES:
        raise SpaceError((name, key), f"at most {MAX_CHOICES:,} {noun}, got {n:,}")


def _check_choice(name: str, key: str, choice: Any) -> None:
    if not isinstance(choice, str | int | float | bool):
        raise SpaceError((name, key), f"{choice!r} is not a string, number or boolean")
    if isinstance(choice, float) and not math.isfinite(choice):
        raise SpaceError((name, key), f"{choice!r} is not finite")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return is_finite(value)


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
    condition = _parse_condition(name, spec.get("condition"))
    if kind == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list | tuple):
            raise SpaceError((name, "choices"), "must be a list")
        return CategoricalParam(name, tuple(choices), condition)
    if kind == "fixed":
        if "value" not in spec:
            raise SpaceError((name, "value"), "is required")
        return FixedParam(name, spec["value"], condition)
    return _numeric_from_dict(name, kind, spec, condition)


def _numeric_from_dict(
    name: str, kind: str, spec: Mapping[str, Any], condition: Condition
) -> Numeric:
    for key in ("low", "high"):
        if key not in spec or spec[key] is None:
            raise SpaceError((name, key), "is required")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise SpaceError((name, "log"), f"must be true or false, got {log!r}")
    hard = _parse_hard(name, spec.get("hard", []))
    if kind == "float":
        step = spec.get("step")
        if step is not None:
            step = _finite(name, "step", step)
        low, high = _finite(name, "low", spec["low"]), _finite(name, "high", spec["high"])
        return FloatParam(name, float(low), float(high), log, step, condition, hard)
    step = spec.get("step", 1)
    return IntParam(
        name,
        _as_int(name, "low", spec["low"]),
        _as_int(name, "high", spec["high"]),
        log,
        _as_int(name, "step", 1 if step is None else step),
        condition,
        hard,
    )


def _parse_hard(name: str, spec: Any) -> Sides:
    """`hard` in any order, kept low first so equal parameters compare equal."""
    if not isinstance(spec, list | tuple) or any(side not in SIDES for side in spec):
        raise SpaceError((name, "hard"), f'must be a list of "low" and "high", got {spec!r}')
    if len(set(spec)) != len(spec):
        raise SpaceError((name, "hard"), "names a side twice")
    return tuple(side for side in SIDES if side in spec)


def _parse_condition(name: str, spec: Any) -> Condition:
    """Check the shape of a condition; whether its parents exist is the space's business."""
    if spec is None:
        return ()
    if not isinstance(spec, Mapping) or not spec:
        raise SpaceError((name, "condition"), 'must be an object like {"solver": ["sgd"]}')
    out = []
    for parent, values in sorted(spec.items()):
        if not isinstance(values, list | tuple) or not values:
            raise SpaceError((name, "condition"), f"{parent!r} needs a non-empty list of values")
        _check_length(name, "condition", len(values), f"values for {parent!r:.80}")
        for value in values:
            _check_choice(name, "condition", value)
        out.append((str(parent), tuple(values)))
    return tuple(out)


def _as_int(name: str, key: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpaceError((name, key), f"must be an integer, got {value!r}")
    return value
