"""The registry of objectives a worker may run: built-ins, `module:function` targets the
operator names, packages' entry points and commands from hyperzoom.toml. Nothing sent over the
API is ever imported or executed."""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from app.objectives import BUILTINS, ObjectiveSpec

Objective = Callable[..., Any]
ENTRY_POINT_GROUP = "hyperzoom.objectives"
_DIRECTIONS = ("minimize", "maximize")


class ObjectiveError(ValueError):
    """An objective cannot be registered or loaded."""


def registered(
    extra: Iterable[str] = (), config: Path | None = None, *, plugins: bool = False
) -> dict[str, ObjectiveSpec]:
    """Built-ins, plus `module:function` targets, commands from `config`, and (when
    `plugins`) the entry points of installed packages, by name."""
    specs = dict(BUILTINS)
    if plugins:
        specs.update(_from_entry_points())
    if config is not None:
        specs.update(from_config(config))
    for target in extra:
        specs[target] = spec_for_target(target, target)
    return specs


def spec_for_target(name: str, target: str, *, inspect: bool = False) -> ObjectiveSpec:
    """A spec for a Python target; with `inspect`, read `direction`, `space` and the docstring
    from the function itself (only where importing it is the operator's choice)."""
    _split(target)
    if not inspect:
        return ObjectiveSpec(name, target, "minimize", f"Operator objective {target}")
    fn = load(target)
    direction = getattr(fn, "direction", "minimize")
    if direction not in _DIRECTIONS:
        raise ObjectiveError(f"objective {target!r}: direction must be minimize or maximize")
    doc = (fn.__doc__ or f"Objective {target}").strip().splitlines()[0]
    return ObjectiveSpec(
        name,
        target,
        direction,
        doc,
        dict(getattr(fn, "space", {}) or {}),
        getattr(fn, "metric", None),
    )


def _from_entry_points() -> dict[str, ObjectiveSpec]:
    specs = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        specs[ep.name] = spec_for_target(ep.name, ep.value, inspect=True)
    return specs


def from_config(path: Path) -> dict[str, ObjectiveSpec]:
    """Command objectives from a TOML file's `[objectives.NAME]` tables."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ObjectiveError(f"cannot read objectives from {path}: {exc}") from exc
    specs = {}
    for name, table in (data.get("objectives") or {}).items():
        where = f"{path}: objectives.{name}"
        if not isinstance(table, dict) or not isinstance(table.get("command"), str):
            raise ObjectiveError(f"{where} needs a `command` string")
        unknown = set(table) - {"command", "direction", "metric", "cwd", "description", "space"}
        if unknown:
            raise ObjectiveError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        direction = table.get("direction", "minimize")
        if direction not in _DIRECTIONS:
            raise ObjectiveError(f"{where}: direction must be minimize or maximize")
        cwd = table.get("cwd")
        specs[name] = ObjectiveSpec(
            name,
            f"command:{name}",
            direction,
            table.get("description", table["command"]),
            dict(table.get("space", {})),
            table.get("metric"),
            table["command"],
            str((path.parent / cwd).resolve()) if cwd else str(path.parent.resolve()),
        )
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


_LOADED: dict[str, Objective] = {}


def load_callable(spec: ObjectiveSpec) -> Objective:
    """The function to call for `spec`, loaded once per process."""
    key = spec.command or spec.target
    if key not in _LOADED:
        if spec.command is not None:
            from app.worker.command import make_command_objective

            _LOADED[key] = make_command_objective(spec.command, spec.cwd)
        else:
            _LOADED[key] = load(spec.target)
    return _LOADED[key]


def _split(target: str) -> tuple[str, str]:
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ObjectiveError(f"objective {target!r} must look like package.module:function")
    return module_name, attr
