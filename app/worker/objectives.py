"""The registry of objectives a worker may run: built-ins plus `module:function` the operator
names. Nothing sent over the API is ever imported or executed."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from app.objectives import BUILTINS, ObjectiveSpec

Objective = Callable[[dict[str, Any]], Any]


class ObjectiveError(ValueError):
    """An objective cannot be registered or loaded."""


def registered(extra: Iterable[str] = ()) -> dict[str, ObjectiveSpec]:
    """Built-ins plus the operator's `module:function` objectives, by name."""
    specs = dict(BUILTINS)
    for target in extra:
        _split(target)
        specs[target] = ObjectiveSpec(target, target, "minimize", f"Operator objective {target}")
    return specs


def load(target: str) -> Objective:
    """Import `module:function` and return the function."""
    module_name, attr = _split(target)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ObjectiveError(f"objective {target!r}: cannot import {module_name}: {exc}") from exc
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ObjectiveError(f"objective {target!r}: {module_name} has no function {attr!r}")
    return fn


def _split(target: str) -> tuple[str, str]:
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ObjectiveError(f"objective {target!r} must look like package.module:function")
    return module_name, attr


def load_all(specs: dict[str, ObjectiveSpec]) -> dict[str, Objective]:
    """Resolve every registered objective to its function."""
    return {name: load(spec.target) for name, spec in specs.items()}
