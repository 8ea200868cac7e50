"""Imports point inward: core knows nothing of web or DB; only api/web/main import FastAPI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
WEB = ("fastapi", "starlette", "jinja2", "uvicorn")
FORBIDDEN = {
    "core": ("sqlalchemy", "alembic", "app.store", "app.api", "app.web", "app.worker", *WEB),
    "store": ("app.api", "app.web", "app.worker", "app.cli", *WEB),
    "worker": ("app.api", "app.web", "app.cli", *WEB),
    "objectives": ("sqlalchemy", "app.store", "app.api", "app.web", "app.worker", *WEB),
}


def imports(path: Path) -> set[str]:
    """Every module `path` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_inward(package: str) -> None:
    for path in (APP / package).rglob("*.py"):
        for name in imports(path):
            bad = [f for f in FORBIDDEN[package] if name == f or name.startswith(f + ".")]
            assert not bad, f"{path.relative_to(APP)} imports {name}"
