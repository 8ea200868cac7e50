"""The registry of objectives a worker may run: built-ins, targets the operator names
(`package.module:function`, or `path/to/file.py:function`, loaded under a private name), packages'
entry points, and commands and functions from hyperzoom.toml. Nothing sent over the API is ever
imported or executed."""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import re
import sys
import tomllib
import traceback
import types
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from app.objectives import BUILTINS, ObjectiveSpec

Objective = Callable[..., Any]
ENTRY_POINT_GROUP = "hyperzoom.objectives"
_DIRECTIONS = ("minimize", "maximize")
# Hyperzoom's own top-level package, `app`: a user's project often has one of that name too.
OURS = __name__.partition(".")[0]
_OUR_DIR = Path(__file__).resolve().parent.parent
# Files are loaded as modules of a package named after their directory, never as `app.x`.
USER_PREFIX = "hyperzoom_user_"
_IDENTIFIER = re.compile(r"\W")  # what a file's stem may not keep in a module name


class ObjectiveError(ValueError):
    """An objective cannot be registered or loaded."""


def registered(
    extra: Iterable[str] = (), config: Path | None = None, *, plugins: bool = False
) -> dict[str, ObjectiveSpec]:
    """Built-ins, plus targets named in `extra`, objectives from `config`, and (when
    `plugins`) the entry points of installed packages, by name."""
    specs = dict(BUILTINS)
    if plugins:
        specs.update(_from_entry_points())
    if config is not None:
        specs.update(from_config(config))
    for target in extra:
        specs[target] = spec_for_target(target, target)
    return specs


def spec_for_target(
    name: str, target: str, *, inspect: bool = False, base: Path | None = None
) -> ObjectiveSpec:
    """A spec for a Python target; with `inspect`, read `direction`, `space` and the docstring
    from the function itself (only where importing it is the operator's choice).

    A file target is made absolute (relative to `base`, else the working directory), so the
    sandboxed child and every later load find the same file; `name` stays as the operator
    wrote it. A module target that can only mean the operator's own `app` package, which
    Hyperzoom's shadows, is refused here, before any trial fails on it."""
    module_name, attr = _split(target)
    if is_file_target(module_name):
        path = (base or Path.cwd()) / Path(module_name).expanduser()
        target = f"{path.resolve()}:{attr}"
    elif _shadowed(module_name):
        raise ObjectiveError(_shadowed_message(target, module_name, attr))
    if not inspect:
        return ObjectiveSpec(name, target, "minimize", f"Operator objective {name}")
    fn = load(target, name)
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


_COMMON_KEYS = {"direction", "metric", "description", "space"}


def from_config(path: Path) -> dict[str, ObjectiveSpec]:
    """Objectives from a TOML file's `[objectives.NAME]` tables: a `command`, or a Python
    `function` (`file.py:function`, relative to the file's directory, or `module:function`)."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ObjectiveError(f"cannot read objectives from {path}: {exc}") from exc
    specs = {}
    for name, table in (data.get("objectives") or {}).items():
        where = f"{path}: objectives.{name}"
        kinds = [k for k in ("command", "function") if isinstance(table, dict) and k in table]
        if len(kinds) != 1 or not isinstance(table[kinds[0]], str):
            raise ObjectiveError(f"{where} needs a `command` or a `function` string (one)")
        allowed = _COMMON_KEYS | ({"command", "cwd"} if kinds == ["command"] else {"function"})
        unknown = set(table) - allowed
        if unknown:
            raise ObjectiveError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        direction = table.get("direction", "minimize")
        if direction not in _DIRECTIONS:
            raise ObjectiveError(f"{where}: direction must be minimize or maximize")
        if kinds == ["function"]:
            spec = spec_for_target(name, table["function"], base=path.parent)
            target = spec.target
            command, cwd = None, None
        else:
            target, command = f"command:{name}", table["command"]
            cwd = table.get("cwd")
            cwd = str((path.parent / cwd).resolve()) if cwd else str(path.parent.resolve())
        specs[name] = ObjectiveSpec(
            name,
            target,
            direction,
            table.get("description", table[kinds[0]]),
            dict(table.get("space", {})),
            table.get("metric"),
            command,
            cwd,
        )
    return specs


def load(target: str, name: str | None = None) -> Objective:
    """The function a target names: `module:function` imported, `file.py:function` loaded
    from the file under a private module name. Errors call it `name` (as the operator wrote
    it), else the target."""
    module_name, attr = _split(target)
    label = name or target
    if is_file_target(module_name):
        path = Path(module_name).expanduser().resolve()
        module, where = _load_file(path, label), str(path)
    else:
        if _shadowed(module_name):
            raise ObjectiveError(_shadowed_message(label, module_name, attr))
        try:
            module, where = importlib.import_module(module_name), module_name
        except ImportError as exc:
            raise ObjectiveError(
                f"objective {label!r}: cannot import {module_name}: {exc}"
            ) from exc
    if not hasattr(module, attr):
        if module_name.partition(".")[0] == OURS:  # the operator's `app`, shadowed by ours
            raise ObjectiveError(_shadowed_message(label, module_name, attr))
        defined = _functions(module)
        known = f" (it defines {', '.join(defined)})" if defined else ""
        raise ObjectiveError(f"objective {label!r}: {where} has no function {attr!r}{known}")
    fn = getattr(module, attr)
    if not callable(fn):
        kind = type(fn).__name__
        raise ObjectiveError(
            f"objective {label!r}: {attr} in {where} is not callable (it is of type {kind})"
        )
    return fn


def _functions(module: types.ModuleType, most: int = 10) -> list[str]:
    """The public functions `module` defines itself (not those it imports), to suggest."""
    names = [
        n
        for n, v in vars(module).items()
        if callable(v)
        and not n.startswith("_")
        and getattr(v, "__module__", None) == module.__name__
    ]
    return names[:most]


def is_file_target(module_name: str) -> bool:
    """Whether the part before the colon is a file (`train.py`, `src/train.py`), not a module."""
    return module_name.endswith(".py") or "/" in module_name


def _load_file(path: Path, label: str) -> types.ModuleType:
    """Load `path` as module `<package>.<stem>` of a private package over its directory, so
    relative imports (`from .model import net`) work, and with the directory on sys.path, so
    sibling imports (`from model import net`) work, as when the file is run as a script."""
    if not path.is_file():
        raise ObjectiveError(f"objective {label!r}: no such file {path}")
    package = _private_package(path.parent)
    module_name = f"{package}.{_IDENTIFIER.sub('_', path.stem)}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ObjectiveError(f"objective {label!r}: {path} cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        raise ObjectiveError(
            f"objective {label!r}: syntax error in {exc.filename}, line {exc.lineno}: {exc.msg}"
        ) from None
    except ModuleNotFoundError as exc:
        del sys.modules[module_name]
        top, _, inner = (exc.name or "").partition(".")
        if top == OURS and _shadowed(exc.name or ""):
            raise ObjectiveError(
                f"objective {label!r}: {path.name} (or a module it imports) imports "
                f"{exc.name}, but {OURS!r} is Hyperzoom's own package here ({_OUR_DIR}): "
                f"import your modules relative to the file (`from .{inner} import ...`) or "
                f"as siblings (`from {inner} import ...`)"
            ) from None
        raise
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _private_package(directory: Path) -> str:
    """A package named after `directory` (one per directory, so siblings share it)."""
    name = USER_PREFIX + hashlib.sha256(str(directory).encode()).hexdigest()[:12]
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(directory)]
        package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        package.__spec__.submodule_search_locations = [str(directory)]
        sys.modules[name] = package
    return name


def _shadowed(module_name: str) -> bool:
    """Whether `module_name` starts with Hyperzoom's package name but is no module of it: the
    operator meant a package of their own called `app`, which Python cannot reach here."""
    if module_name.partition(".")[0] != OURS:
        return False
    try:
        return importlib.util.find_spec(module_name) is None
    except (ImportError, ValueError):  # a parent that is not ours, or not a package
        return True


def _shadowed_message(target: str, module_name: str, attr: str) -> str:
    as_file = module_name.replace(".", "/") + ".py"
    return (
        f"objective {target!r}: {OURS!r} here is Hyperzoom's own package ({_OUR_DIR}), not "
        f"yours, so {module_name}:{attr} cannot be imported; pass the file instead: "
        f"--objective {as_file}:{attr}"
    )


def load_problem(spec: ObjectiveSpec) -> str | None:
    """Why `spec` cannot be loaded in this process, in one line; None when it loads. For a
    worker's start, so a broken file stops it with the reason instead of failing each trial."""
    try:
        load_callable(spec)
    except ObjectiveError as exc:
        return str(exc)
    except Exception as exc:
        # Where in the operator's code, not in importlib's frozen frames.
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename[:1] != "<"]
        place = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
        return f"objective {spec.name!r}: loading it raised {type(exc).__name__}: {exc}{place}"
    return None


_LOADED: dict[str, Objective] = {}


def load_callable(spec: ObjectiveSpec) -> Objective:
    """The function to call for `spec`, loaded once per process."""
    key = spec.command or spec.target
    if key not in _LOADED:
        if spec.command is not None:
            from app.worker.command import make_command_objective

            _LOADED[key] = make_command_objective(spec.command, spec.cwd)
        else:
            _LOADED[key] = load(spec.target, spec.name)
    return _LOADED[key]


def _split(target: str) -> tuple[str, str]:
    module_name, sep, attr = target.rpartition(":")
    if not sep or not module_name or not attr:
        raise ObjectiveError(
            f"objective {target!r} must look like package.module:function "
            "or path/to/file.py:function"
        )
    return module_name, attr
