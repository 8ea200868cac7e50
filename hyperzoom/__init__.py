"""Hyperzoom from Python: run a search's trials on your own function, in this process.

    import hyperzoom as hz

    s = hz.create_search(name="lr sweep", space={"lr": {"type": "float", "low": 1e-5,
                         "high": 1.0, "log": True}}, sampler="zoom", n_trials=30,
                         db="sqlite:///runs.db")
    s.optimize(train)       # train(params) or train(params, trial) -> a number or metrics
    s.best                  # {"params": {...}, "value": ...}
    child = s.refine({"lr": [1e-3, 1e-2]}, n_trials=20)

Searches made here are ordinary searches: `hyperzoom serve --db sqlite:///runs.db` shows
them, live. `hyperzoom.sklearn.HyperzoomSearchCV` is scikit-learn's search interface.

The server's code is the package `app`; this package is its public face in Python and
imports nothing heavy until it is used.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _check_app() -> None:
    """Hyperzoom's code is the top-level package `app` installed beside this one. A project
    with its own `app` (common for web projects) first on sys.path hides it: say so, instead of
    failing with "No module named 'app.worker'"."""
    ours = Path(__file__).resolve().parent.parent / "app"
    loaded = sys.modules.get("app")
    spec = loaded.__spec__ if loaded is not None else importlib.util.find_spec("app")
    found = [Path(p).resolve() for p in (spec and spec.submodule_search_locations) or []]
    if ours not in found:
        where = ", ".join(map(str, found)) or "not found"
        raise ImportError(
            f"hyperzoom needs its own package `app` ({ours}), but `import app` finds another "
            f"({where}): a package of your project named `app` comes first on sys.path. Run "
            "from another directory (or rename your package) to use hyperzoom from Python."
        )


_check_app()

from app.worker.trial import TrialHandle, TrialPruned  # noqa: E402
from hyperzoom.errors import HyperzoomError  # noqa: E402
from hyperzoom.optuna_studies import ImportNotice, import_optuna  # noqa: E402
from hyperzoom.search import (  # noqa: E402
    PYTHON_OBJECTIVE,
    Search,
    TrialRecord,
    create_search,
    open_search,
)

__all__ = [
    "PYTHON_OBJECTIVE",
    "HyperzoomError",
    "ImportNotice",
    "Search",
    "TrialHandle",
    "TrialPruned",
    "TrialRecord",
    "create_search",
    "import_optuna",
    "open_search",
]
__version__ = "0.1.0"
