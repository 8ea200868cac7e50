"""What an objective sees of its trial: report intermediate values, learn when to stop."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from numbers import Real
from typing import Any

from app.core.states import TrialState
from app.core.values import ValueProblem, check_json, clean_json, storable_text


class TrialPruned(Exception):  # noqa: N818 - the name users know from other tuners
    """Raise from an objective to stop a trial the pruner gave up on."""


class TrialHandle:
    """Passed to objectives that take a second argument: `trial.report(step, value)`."""

    def __init__(self, send: Callable[[int, float], bool]) -> None:
        self._send = send
        self.should_prune = False
        self.last: tuple[int, float] | None = None

    def report(self, step: int, value: float) -> bool:
        """Record the value at `step` (an epoch, say); True means stop now, you were pruned."""
        step, value = int(step), float(value)
        if not math.isfinite(value):
            raise ValueError(f"intermediate value at step {step} is {value}, not finite")
        self.last = (step, value)
        self.should_prune = self._send(step, value) or self.should_prune
        return self.should_prune


def call_objective(fn: Callable[..., Any], params: dict[str, Any], trial: TrialHandle) -> Any:
    """Call `fn(params)` or `fn(params, trial)`, whichever it accepts."""
    try:
        positional = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
    except (TypeError, ValueError):  # builtins without a signature
        positional = []
    wants_trial = len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in positional)
    return fn(params, trial) if wants_trial else fn(params)


@dataclass(frozen=True)
class Outcome:
    """How an evaluation ended, ready to be told."""

    state: TrialState
    value: float | None = None
    error: str | None = None
    metrics: dict[str, Any] | None = None


def interpret(result: Any, metric: str | None, trial: TrialHandle) -> Outcome:
    """Turn what an objective returned into an outcome; bad values fail with a clear reason."""
    metrics: dict[str, Any] | None = None
    if isinstance(result, Mapping):
        key = metric or "value"
        if key not in result:
            return Outcome(
                TrialState.FAILED,
                error=f"the objective returned metrics {_show(sorted(map(str, result)))} "
                f"without {key!r}",
            )
        metrics = {str(k): _plain(v) for k, v in result.items() if k != key}
        result = result[key]
    if isinstance(result, bool) or not isinstance(result, Real):
        return Outcome(
            TrialState.FAILED, error=f"the objective returned {_show(result)}, not a number"
        )
    value = _float(result)
    if value is None:
        return Outcome(
            TrialState.FAILED,
            error=f"the objective returned {_show(result)}, which is not a finite float",
        )
    if not math.isfinite(value):
        return Outcome(
            TrialState.FAILED, error=f"the objective returned {value}, not a finite number"
        )
    if trial.should_prune:
        return Outcome(TrialState.PRUNED, value, metrics=metrics)
    return Outcome(TrialState.COMPLETE, value, metrics=metrics)


def storable(outcome: Outcome) -> Outcome:
    """The outcome as the database and the server accept it (app.core.values): error text and
    metric text escaped, the error cut to its limit; metrics still too large fail the trial
    with that reason. A worker then never holds a result that no retry can store."""
    metrics = None if outcome.metrics is None else clean_json(outcome.metrics)
    try:
        if metrics is not None:
            check_json(metrics, ("metrics",))
    except ValueProblem as exc:
        value = "" if outcome.value is None else f" (its value was {outcome.value})"
        reason = f"the objective's metrics cannot be stored: {exc}{value}"
        return Outcome(TrialState.FAILED, error=storable_text(reason))
    error = None if outcome.error is None else storable_text(outcome.error)
    return replace(outcome, error=error, metrics=metrics)


def pruned(trial: TrialHandle) -> Outcome:
    """The outcome of a trial stopped by its pruner: its last intermediate value."""
    return Outcome(TrialState.PRUNED, trial.last[1] if trial.last else None)


def _plain(value: Any) -> Any:
    """A JSON-safe metric: finite numbers and strings; anything else becomes its repr."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, Real):
        number = _float(value)
        return number if number is not None and math.isfinite(number) else None
    return _repr(value)


def _float(value: Real) -> float | None:
    """`float(value)`, or None for a number no float holds (10**400 raises OverflowError)."""
    try:
        return float(value)
    except (OverflowError, ValueError):
        return None


def _show(value: Any, limit: int = 200) -> str:
    """A short repr for a reason."""
    text = _repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _repr(value: Any) -> str:
    """`repr(value)`, but never an exception: an integer too long to print (over 4,300 digits
    raises) or a broken `__repr__` must not turn a clear reason into a crash."""
    if isinstance(value, int) and value.bit_length() > 1024:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    try:
        return repr(value)
    except Exception as exc:  # the objective's own bug: say so, do not crash the evaluation
        return f"a {type(value).__name__} whose repr raises {type(exc).__name__}"
