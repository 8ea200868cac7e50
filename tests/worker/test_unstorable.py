"""Every result is storable (issue 14, items 11 and 13): a result the database or the server
refuses no longer stalls a real worker process forever. The trial is stored failed with a
reason that says what happened, or its text escaped and cut; --idle-exit then fires, and what
was stored can be read, exported and imported again."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.core.values import MAX_ERROR_CHARS
from app.main import create_app
from app.settings import Settings
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.exporting import export_experiment
from app.store.models import TrialState
from app.store.trial_reads import list_trials
from tests.support.drills import MODULE, kill, make_search, start_worker
from tests.support.processes import running_server

pytestmark = pytest.mark.slow
WAIT = 90  # seconds a worker may take to do two trials and go idle; a stalled one never exits
Store = tuple[str, sessionmaker[Session]]


def _store(url: str) -> Iterator[Store]:
    engine = make_engine(url)
    yield url, make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def sqlite_store(sqlite_db_url: str) -> Iterator[Store]:
    """A fresh SQLite database: its URL and a session factory."""
    yield from _store(sqlite_db_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """A fresh database on each backend in turn (their drivers refuse different text)."""
    yield from _store(request.getfixturevalue(f"{request.param}_db_url"))


def run_worker(target: str, objective: str, log: Path) -> None:
    """Run a real worker process until it has been idle for a second; fail if it never is."""
    process = start_worker(target, "--idle-exit", "1", log=log, objective=f"{MODULE}:{objective}")
    try:
        code = process.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        kill(process)
        pytest.fail(f"the worker stalled:\n{log.read_text()[-2000:]}")
    assert code == 0, log.read_text()[-2000:]


def finished(factory: sessionmaker[Session], n: int = 2) -> list[Any]:
    """The first experiment's trials, which must all be there."""
    with session_scope(factory) as s:
        trials = sorted(list_trials(s, experiment_id=1), key=lambda t: t.number)
        s.expunge_all()
    assert len(trials) == n, [t.state for t in trials]
    return trials


def test_a_lone_surrogate_in_an_error_is_stored_escaped(any_store: Store, tmp_path: Path) -> None:
    url, factory = any_store
    make_search(factory, 2, objective=f"{MODULE}:surrogate_error")
    run_worker(url, "surrogate_error", tmp_path / "worker.log")
    for trial in finished(factory):
        assert trial.state is TrialState.FAILED
        assert "OSError: cannot open data-\\xff.csv" in trial.error


def test_a_long_error_over_http_is_stored_cut_in_the_middle(
    sqlite_store: Store, tmp_path: Path
) -> None:
    url, factory = sqlite_store
    make_search(factory, 2, objective=f"{MODULE}:long_error")
    with running_server(url, tmp_path / "server.log") as server:
        run_worker(server, "long_error", tmp_path / "worker.log")
    for trial in finished(factory):
        assert trial.state is TrialState.FAILED
        assert len(trial.error) <= MAX_ERROR_CHARS
        assert trial.error.startswith("Traceback") and trial.error.rstrip().endswith("THE END")
        assert "characters cut" in trial.error


@pytest.mark.parametrize("over_http", [False, True], ids=["database", "http"])
def test_metrics_too_large_fail_the_trial_with_the_reason(
    sqlite_store: Store, tmp_path: Path, over_http: bool
) -> None:
    url, factory = sqlite_store
    make_search(factory, 2, objective=f"{MODULE}:huge_metrics")
    if over_http:
        with running_server(url, tmp_path / "server.log") as server:
            run_worker(server, "huge_metrics", tmp_path / "worker.log")
    else:
        run_worker(url, "huge_metrics", tmp_path / "worker.log")
    for trial in finished(factory):
        assert trial.state is TrialState.FAILED and trial.metrics is None
        assert "metrics cannot be stored" in trial.error
        assert "more than 1,000,000 bytes" in trial.error
    assert_export_imports(sqlite_store)


def test_a_lone_surrogate_in_a_metric_is_stored_escaped_and_every_read_works(
    any_store: Store, tmp_path: Path
) -> None:
    url, factory = any_store
    make_search(factory, 2, objective=f"{MODULE}:surrogate_metric")
    run_worker(url, "surrogate_metric", tmp_path / "worker.log")
    for trial in finished(factory):
        assert trial.state is TrialState.COMPLETE
        assert trial.metrics == {"file-\\xfe": "data-\\xff.csv"}
    with TestClient(create_app(Settings(database_url=url))) as client:
        for path in ("trials", "trials/columns", "trials.csv", "export"):
            response = client.get(f"/api/experiments/1/{path}")
            assert response.status_code == 200, (path, response.text[:300])
            response.content.decode("utf-8")
        json.loads(client.get("/api/experiments/1/export").text)
    assert_export_imports(any_store)


@pytest.mark.parametrize(
    ("objective", "state", "reason"),
    [
        ("huge_int", TrialState.FAILED, "not a finite float"),
        ("huge_int_metric", TrialState.COMPLETE, None),
    ],
)
def test_a_number_no_float_holds_is_named_not_a_crash(
    sqlite_store: Store,
    tmp_path: Path,
    objective: str,
    state: TrialState,
    reason: str | None,
) -> None:
    url, factory = sqlite_store
    make_search(factory, 2, objective=f"{MODULE}:{objective}")
    run_worker(url, objective, tmp_path / "worker.log")
    for trial in finished(factory):
        assert trial.state is state, trial.error
        if reason is None:
            assert trial.metrics == {"big": None}
        else:
            assert reason in trial.error and "exited with code" not in trial.error


def assert_export_imports(store: Store) -> None:
    """The experiment's export is accepted by import (over HTTP, so with the body limit)."""
    url, factory = store
    with session_scope(factory) as s:
        document = export_experiment(s, 1)
    with TestClient(create_app(Settings(database_url=url))) as client:
        imported = client.post("/api/experiments/import", json=document)
    assert imported.status_code == 201, imported.text[:500]
