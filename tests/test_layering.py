"""Imports point down one declared order of layers, and no module of app/ comes back to itself.

Every module of app/ belongs to one unit of LAYERS: the innermost it is, or is inside by whole
dotted parts, so that `app.cli.client` is a unit of its own within the package `app.cli`. A
module may import its own unit and the units of lower rows; units that share a row may not
import each other. Imports are read with ast, those inside functions too, and resolved to the
module they load.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from collections import deque
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"

# Top row first: (units, why they sit there).
LAYERS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("app.__main__", "app.cli"), "`python -m app` runs the command; app.cli names its parts"),
    (("app.cli.main",), "the `hyperzoom` command: wires the subcommands, serves, runs workers"),
    (
        ("app.cli.exchange", "app.cli.lineage"),
        "export and import, lineage and compare: on cli.experiments' options and connection",
    ),
    (("app.cli.experiments",), "commands that call the API, over HTTP or in-process (app.main)"),
    (("app.cli.errors",), "one way for every command to fail: it knows each layer's errors"),
    (("app.main",), "builds the FastAPI app from the routes, the pages and the settings"),
    (("app.api", "app.web", "app.cli.client"), "JSON routes, HTML pages, the CLI's client"),
    (("app.serving",), "what routes and pages share: a session per request, ids in paths"),
    (("app.worker",), "runs trials on the store, or on a server over HTTP"),
    (("app.store",), "tables and queries (SQLAlchemy) over the core's types"),
    (("app.objectives",), "the built-in objectives: plain functions and their specs"),
    (("app.core",), "the search itself (spaces, samplers, regions, states): no I/O"),
    (("app.paths", "app.settings"), "where files are and what the environment says"),
)
RANK = {unit: row for row, (units, _) in enumerate(LAYERS) for unit in units}

DB = ("sqlalchemy", "alembic")
WEB = ("fastapi", "starlette", "jinja2", "uvicorn")
# Frameworks a unit must not import: the database from the store up, the web frameworks only
# where requests are served (and in the command that starts the server).
NOT_IMPORTED = {
    "app.paths": (*DB, *WEB),
    "app.settings": (*DB, *WEB),
    "app.core": (*DB, *WEB),
    "app.objectives": (*DB, *WEB),
    "app.store": WEB,
    "app.worker": WEB,
    "app.cli.client": (*DB, *WEB),
}
# What the worker's sandboxed child imports: it runs `app.worker.isolate._child_main`, which
# loads objectives through app.worker.registry, and spawning it imports the script that
# started the worker again (the `hyperzoom` script's module). Objectives run without these.
CHILD = ("app.worker.isolate", "app.worker.registry")
NOT_IN_CHILD = ("sqlalchemy", "fastapi", "starlette")


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in sorted(APP.rglob("*.py"))}


def _owner(name: str) -> str:
    """The module of app/ that importing `name` loads: its longest dotted prefix that is one."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _package(module: str) -> str:
    return module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]


def _names(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Every dotted name an import statement loads; relative imports made absolute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = _package(module).split(".")
        anchor = ".".join(parts[: len(parts) - node.level + 1])
        base = f"{anchor}.{base}" if base else anchor
    found = [f"{base}.{alias.name}" for alias in node.names]
    return [name if name in MODULES else base for name in found]


@cache
def imports(module: str) -> tuple[set[str], set[str]]:
    """(modules of app/, other top-level packages) that `module` imports, anywhere in it."""
    ours, others = set(), set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name in _names(module, node):
                if name == "app" or name.startswith("app."):
                    ours.add(_owner(name))
                else:
                    others.add(name)
    ours.discard(module)
    return ours, others


def unit(module: str) -> str | None:
    """The innermost unit of LAYERS that `module` is, or is inside (by whole dotted parts)."""
    found = [u for u in RANK if module == u or module.startswith(u + ".")]
    return max(found, key=len, default=None)


def test_every_module_has_one_layer_and_every_unit_exists() -> None:
    lost = [m for m in MODULES if m != "app" and unit(m) is None]
    assert not lost, f"add these modules to LAYERS: {lost}"
    stale = [u for u in RANK if u not in MODULES]
    assert not stale, f"LAYERS names modules that do not exist: {stale}"


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for module in MODULES:
        for target in imports(module)[0]:
            here, there = unit(module), unit(target)
            if there is None or here is None or here == there or RANK[there] > RANK[here]:
                continue
            where = "the same row as" if RANK[there] == RANK[here] else "a row above"
            wrong.append(f"{module} imports {target}: {there} is in {where} {here}")
    assert not wrong, "\n".join(sorted(wrong))


def test_frameworks_stay_in_their_layers() -> None:
    wrong = []
    for module in MODULES:
        banned = NOT_IMPORTED.get(unit(module) or "", ())
        for name in imports(module)[1]:
            if any(name == b or name.startswith(b + ".") for b in banned):
                wrong.append(f"{module} imports {name}")
    assert not wrong, "\n".join(sorted(wrong))


def _defines_router(module: str) -> bool:
    """A module with a top-level `router = APIRouter(...)`: a room of routes."""
    for node in ast.parse(MODULES[module].read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value.func
            if isinstance(call, ast.Name) and call.id == "APIRouter":
                return True
    return False


def test_only_main_imports_a_router() -> None:
    """Routers share schemas and helpers through modules that are no router themselves."""
    routers = {m for m in MODULES if _defines_router(m)}
    assert {"app.api.experiments", "app.web.pages"} <= routers  # the check still sees them
    wrong = [
        f"{module} imports the router module {target}"
        for module in MODULES
        if module != "app.main"
        for target in imports(module)[0] & routers
    ]
    assert not wrong, "\n".join(sorted(wrong))


def _reach(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in imports(todo.pop())[0]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _cycle_through(module: str, within: set[str]) -> list[str]:
    """The shortest import path from `module` back to itself inside one tangle."""
    before: dict[str, str] = {}
    todo = deque([module])
    while todo:
        current = todo.popleft()
        for target in sorted(imports(current)[0] & within):
            if target == module:
                path = [current]
                while path[-1] != module:
                    path.append(before[path[-1]])
                return [module, *reversed(path[:-1]), module]
            if target not in before:
                before[target] = current
                todo.append(target)
    raise AssertionError(f"{module} is in no cycle")


def test_no_import_cycle() -> None:
    reach = {module: _reach(module) for module in MODULES}
    cycles, seen = [], set()
    for module in MODULES:
        tangle = {m for m in reach[module] if module in reach[m]}
        if module in tangle and module not in seen:
            seen |= tangle
            cycles.append(" → ".join(_cycle_through(module, tangle)))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def _script_module() -> str:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    return scripts["hyperzoom"].partition(":")[0]


def test_the_sandboxed_child_imports_no_database_or_web_framework() -> None:
    """Imported in a fresh interpreter, as the spawned child imports them."""
    probe = (
        f"import sys, {', '.join((*CHILD, _script_module()))}; "
        f"print(' '.join(m for m in {NOT_IN_CHILD!r} if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert run.stdout.split() == [], f"the child imports {run.stdout.strip()}"
