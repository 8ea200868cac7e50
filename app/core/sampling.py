"""What every sampler shares: the history it is given, where the asked point sits, options."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.space import Params, SearchSpace, SpaceError

History = Sequence[tuple[Params, float | None]]


@dataclass(frozen=True)
class Position:
    """Where a requested point sits in its search, so designs need no history.

    `number` is the trial number of the first requested point (its index in the design) and
    `budget` the search's n_trials.
    """

    seed: int
    number: int
    budget: int


def losses(history: History, direction: str) -> np.ndarray:
    """Trial values turned into losses (lower is better); a trial without a value is +inf."""
    sign = -1.0 if direction == "maximize" else 1.0
    return np.array(
        [np.inf if v is None or not np.isfinite(v) else sign * float(v) for _, v in history],
        dtype=float,
    )


def encode_history(space: SearchSpace, history: History) -> np.ndarray:
    """The history's configurations as an (n, ndim) array; NaN where a parameter is inactive."""
    if not history:
        return np.zeros((0, space.ndim))
    return np.array([space.encode(params) for params, _ in history]).reshape(-1, space.ndim)


def valid_history(space: SearchSpace, history: History) -> list[tuple[Params, float | None]]:
    """The trials that are configurations of `space`; others (a parent's, an old space's) go."""
    return [(params, value) for params, value in history if space.contains(params)]


def check_options(sampler: str, options: Mapping[str, Any] | None, known: set[str]) -> None:
    """Refuse options the sampler does not take, naming the first one."""
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise SpaceError(("options",), "must be an object")
    for key in options:
        if key not in known:
            takes = ", ".join(sorted(known)) if known else "no options"
            raise SpaceError(("options", str(key)), f"the {sampler} sampler takes {takes}")


def number_option(
    options: Mapping[str, Any] | None,
    key: str,
    default: float,
    low: float,
    high: float,
    *,
    integer: bool = False,
) -> float:
    """One numeric option in [low, high], or its default when absent."""
    value = (options or {}).get(key, default)
    kind = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kind):
        noun = "an integer" if integer else "a number"
        raise SpaceError(("options", key), f"must be {noun}, got {value!r}")
    if not low <= value <= high:
        raise SpaceError(("options", key), f"must lie in [{low:g}, {high:g}], got {value!r}")
    return value


class NoOptions:
    """Base of samplers that take no options and accept any budget."""

    name = "sampler"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        check_options(self.name, options, set())

    def check(self, space: SearchSpace, n_trials: int) -> None:
        """Any budget works."""
