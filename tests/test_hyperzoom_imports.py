"""`hyperzoom` (the Python API) sits above all of app/ and reaches it only through the entry
points listed here; app/ never imports it; and `import hyperzoom` loads nothing heavy (a
notebook pays for the database, the web app or scikit-learn only when it uses them)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The modules of app/ the Python API may import, and why: the same layers the CLI and the
# workers use, so validation, errors and the worker protocol are not written twice.
ENTRY_POINTS = {
    "app.cli.client": "the REST API's JSON client and its ApiError",
    "app.cli.experiments": "in_process: the app on a database, as the CLI's --db",
    "app.settings": "HYPERZOOM_DATABASE_URL and the default database",
    "app.store.db": "an engine for the worker's database backend",
    "app.store.migrate": "migrate a database on first use",
    "app.store.optuna_study": "an Optuna study as an import document (import_optuna)",
    "app.store.claims": "the Claim a worker holds (type hints)",
    "app.worker.backend": "the worker protocol's backends (database, HTTP)",
    "app.worker.loop": "the Worker: ask, evaluate, heartbeat, tell, release",
    "app.worker.isolate": "InProcess: the evaluator that calls a Python function",
    "app.worker.trial": "what an objective sees: TrialHandle, TrialPruned",
    "app.objectives": "ObjectiveSpec, what a worker runs",
    "app.core.states": "trial states",
}
# Never loaded by `import hyperzoom` alone.
HEAVY = ("ray", "optuna", "playwright", "sqlalchemy", "fastapi", "sklearn", "scipy", "numpy")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_hyperzoom_reaches_app_only_through_its_entry_points() -> None:
    used = {
        (path.name, name)
        for path in sorted((ROOT / "hyperzoom").glob("*.py"))
        for name in _imports(path)
        if name == "app" or name.startswith("app.")
    }
    wrong = sorted(f"{module} imports {name}" for module, name in used if name not in ENTRY_POINTS)
    assert not wrong, "\n".join(wrong)
    unused = set(ENTRY_POINTS) - {name for _, name in used}
    assert not unused, f"ENTRY_POINTS lists modules hyperzoom no longer imports: {unused}"


def test_app_never_imports_hyperzoom() -> None:
    wrong = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "app").rglob("*.py"))
        if any(n == "hyperzoom" or n.startswith("hyperzoom.") for n in _imports(path))
    ]
    assert not wrong, f"app/ is below hyperzoom/: {wrong}"


def test_import_hyperzoom_is_light() -> None:
    probe = f"import sys, hyperzoom; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert run.stdout.split() == [], f"import hyperzoom loads {run.stdout.strip()}"
