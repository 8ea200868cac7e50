"""Objectives given as files, `path/to/train.py:function` (issue 19, item 4).

Hyperzoom's own top-level package is `app`, the most common name of a user's project too:
`--objective app.train:objective` failed every trial with "No module named 'app.train'". A file
is loaded under a private module name instead, with its directory on the import path, and a
module reference that can only mean the user's `app` is refused with the way out.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli.main import cli
from app.core.space import SearchSpace
from app.core.states import TrialState
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction
from app.store.searches import SearchSettings
from app.worker import registry
from app.worker.isolate import Sandbox
from app.worker.registry import ObjectiveError, from_config, load, registered, spec_for_target
from tests.support.workers import trials_of

HYPERZOOM = Path(sys.executable).with_name("hyperzoom")  # the command users run
runner = CliRunner()


@pytest.fixture(autouse=True)
def forget_what_was_loaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test's project is new: drop the modules, import path entries and functions that
    loading its files left in this process (its `helpers` would shadow the next one's)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(registry, "_LOADED", {})
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project whose package is called `app`, as a FastAPI project's often is: its
    training file imports a sibling module and a module of its package."""
    root = tmp_path / "proj"
    package = root / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text("SCALE = 3.0\n")
    (package / "helpers.py").write_text("def shift(v):\n    return v + 1.0\n")
    (package / "train.py").write_text(
        "from helpers import shift  # a sibling, as when the file is run as a script\n"
        "from .model import SCALE  # a module of its own package\n"
        "\n"
        "def objective(params):\n"
        '    return shift(SCALE * params["x"])\n'
        "\n"
        "def _private():\n"
        "    pass\n"
        "\n"
        "budget = 3\n"
    )
    (package / "broken.py").write_text("def objective(params)\n    return 1\n")
    (package / "fails.py").write_text('raise RuntimeError("no data")\n')
    (package / "absolute.py").write_text(
        "from app.model import SCALE\n\ndef objective(params):\n    return SCALE\n"
    )
    return root


def test_a_file_loads_under_a_private_name_with_its_imports(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    spec = registered(["app/train.py:objective"])["app/train.py:objective"]
    assert spec.name == "app/train.py:objective"  # as the operator wrote it
    assert spec.target == f"{project / 'app' / 'train.py'}:objective"  # absolute for the child
    fn = load(spec.target)
    assert fn({"x": 0.5}) == 2.5
    assert fn.__module__.startswith("hyperzoom_user_") and fn.__module__.endswith(".train")
    assert sys.modules["app"].__file__ == str(Path(__file__).parents[2] / "app" / "__init__.py")
    assert load(str(project / "app" / "train.py") + ":objective") is fn  # loaded once


def test_a_relative_path_in_hyperzoom_toml_is_relative_to_that_file(
    project: Path, tmp_path: Path
) -> None:
    config = project / "hyperzoom.toml"
    config.write_text(
        '[objectives.train]\nfunction = "app/train.py:objective"\ndirection = "maximize"\n'
        '[objectives.train.space]\nx = { type = "float", low = 0.0, high = 1.0 }\n'
    )
    spec = from_config(config)["train"]
    assert spec.target == f"{project / 'app' / 'train.py'}:objective" and spec.command is None
    assert spec.direction == "maximize" and set(spec.space) == {"x"}
    both = tmp_path / "both.toml"
    both.write_text('[objectives.t]\nfunction = "a.py:f"\ncommand = "true"\n')
    with pytest.raises(ObjectiveError, match="needs a `command` or a `function`"):
        from_config(both)


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("app/missing.py:objective", "no such file "),
        ("app/train.py:nope", "has no function 'nope' (it defines objective)"),
        ("app/train.py:budget", "budget in {file} is not callable (it is of type int)"),
        ("app/broken.py:objective", "syntax error in {broken}, line 1: expected ':'"),
        (
            "app/absolute.py:objective",
            "imports app.model, but 'app' is Hyperzoom's own package here",
        ),
    ],
)
def test_a_file_that_cannot_be_loaded_says_why(
    project: Path, monkeypatch: pytest.MonkeyPatch, target: str, says: str
) -> None:
    monkeypatch.chdir(project)
    spec = spec_for_target(target, target)
    files = {"file": project / "app" / "train.py", "broken": project / "app" / "broken.py"}
    with pytest.raises(ObjectiveError) as caught:
        load(spec.target, spec.name)
    assert str(caught.value).startswith(f"objective {target!r}: ")
    assert says.format(**files) in str(caught.value)


def test_a_module_only_the_users_app_could_hold_is_refused_with_the_file_to_pass() -> None:
    with pytest.raises(ObjectiveError) as caught:
        registered(["app.train:objective"])
    assert str(caught.value) == (
        f"objective 'app.train:objective': 'app' here is Hyperzoom's own package "
        f"({Path(__file__).parents[2] / 'app'}), not yours, so app.train:objective cannot be "
        "imported; pass the file instead: --objective app/train.py:objective"
    )
    # Hyperzoom's own modules stay reachable by module path, as the built-ins are.
    bowl = registered(["app.objectives.synthetic:bowl"])["app.objectives.synthetic:bowl"]
    assert load(bowl.target)({"learning_rate": 1e-3, "x": 0.3}) == 0.0


def test_the_sandbox_loads_a_file_ahead_and_runs_it(project: Path) -> None:
    good = spec_for_target("train", f"{project}/app/train.py:objective")
    bad = spec_for_target("broken", f"{project}/app/broken.py:objective")
    sandbox = Sandbox()
    try:
        assert sandbox.load(good) is None
        problem = sandbox.load(bad)
        assert problem is not None and problem.startswith("objective 'broken': syntax error")
        outcome = sandbox.evaluate(good, {"x": 1.0}, lambda step, value: False)
        assert outcome is not None and outcome.state is TrialState.COMPLETE
        assert outcome.value == 4.0
        failed = sandbox.evaluate(bad, {"x": 1.0}, lambda step, value: False)
        assert failed is not None and failed.state is TrialState.FAILED
        assert failed.error is not None and "Traceback" not in failed.error
        assert "syntax error in" in failed.error
    finally:
        sandbox.close()


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("app/missing.py:objective", "no such file"),
        ("app/train.py:budget", "is not callable"),
        ("app/broken.py:objective", "syntax error in"),
        ("app/train.py:nope", "has no function 'nope'"),
        ("app/fails.py:objective", "loading it raised RuntimeError: no data ("),
        ("app.train:objective", "pass the file instead: --objective app/train.py:objective"),
    ],
)
def test_the_worker_command_stops_on_a_bad_objective_in_one_line(
    project: Path, sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch, target: str, says: str
) -> None:
    monkeypatch.chdir(project)
    args = ["worker", "--db", sqlite_db_url, "--objective", target, "--idle-exit", "0"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: objective {target!r}: ") and says in line


def _experiment(factory: sessionmaker[Session], objective: str, n_trials: int) -> int:
    """A search of `objective` over x in [0, 1]; its id."""
    with session_scope(factory) as s:
        _, search = create_experiment(
            s,
            name="own project",
            objective=objective,
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}}),
            settings=SearchSettings(n_trials=n_trials, seed=2),
        )
        return search.id


def test_a_worker_process_runs_a_users_app_train_py(project: Path, sqlite_db_url: str) -> None:
    """`hyperzoom worker --objective app/train.py:objective`, run from the project whose
    package is called `app`, completes every trial with the value the function returns."""
    engine = make_engine(sqlite_db_url)
    try:
        factory = make_sessionmaker(engine)
        search_id = _experiment(factory, "app/train.py:objective", 5)
        args = ["worker", "--db", sqlite_db_url, "--objective", "app/train.py:objective"]
        done = subprocess.run(
            [str(HYPERZOOM), *args, "--idle-exit", "1", "--poll", "0.1"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        trials = trials_of(factory, search_id)
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 5, [t.error for t in trials]
        for t in trials:
            assert t.value == pytest.approx(3.0 * t.params["x"] + 1.0)
        assert "Traceback" not in done.stderr
    finally:
        engine.dispose()


def test_a_worker_process_refuses_app_train_as_a_module_before_any_trial(
    project: Path, sqlite_db_url: str
) -> None:
    engine = make_engine(sqlite_db_url)
    try:
        factory = make_sessionmaker(engine)
        search_id = _experiment(factory, "app.train:objective", 2)
        started = time.monotonic()
        done = subprocess.run(
            [
                str(HYPERZOOM),
                "worker",
                "--db",
                sqlite_db_url,
                "--objective",
                "app.train:objective",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1 and time.monotonic() - started < 30
        assert done.stderr.strip().splitlines() == [
            "error: objective 'app.train:objective': 'app' here is Hyperzoom's own package "
            f"({Path(__file__).parents[2] / 'app'}), not yours, so app.train:objective cannot "
            "be imported; pass the file instead: --objective app/train.py:objective"
        ]
        assert [t.state for t in trials_of(factory, search_id)] == []  # no trial was taken
    finally:
        engine.dispose()
