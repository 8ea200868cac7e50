"""The columnar trials endpoint carries metrics and durations next to params and values."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from pytest import approx
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.store.claims import ask
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction, Trial, TrialState
from app.store.results import tell
from app.store.searches import SearchSettings
from app.store.trial_reads import MAX_METRIC_COLUMNS
from tests.support.bodies import body


def _claim(factory: sessionmaker[Session]) -> int:
    """Ask for the next trial as a worker; return its id."""
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="t")
    assert claim is not None
    return claim.trial_id


def test_metrics_and_duration_columns(client: TestClient, factory: sessionmaker[Session]) -> None:
    created = client.post("/api/experiments", json=body()).json()
    url = f"/api/experiments/{created['id']}/trials/columns"
    first, second, running = _claim(factory), _claim(factory), _claim(factory)
    with session_scope(factory) as s:
        tell(s, first, state=TrialState.COMPLETE, value=0.5, metrics={"acc": 0.9, "f1": 0.7})
        tell(s, second, state=TrialState.FAILED, error="boom", metrics={"acc": 0.1})
    got = client.get(url).json()
    order = {trial_id: i for i, trial_id in enumerate(got["id"])}
    assert set(order) == {first, second, running}
    acc, f1 = got["metrics"]["acc"], got["metrics"]["f1"]
    assert (acc[order[first]], acc[order[second]], acc[order[running]]) == (0.9, 0.1, None)
    assert (f1[order[first]], f1[order[second]], f1[order[running]]) == (0.7, None, None)
    with session_scope(factory) as s:
        t = s.get_one(Trial, first)
        assert t.started_at is not None and t.finished_at is not None
        expected = (t.finished_at - t.started_at).total_seconds()
    assert got["duration"][order[first]] == approx(expected, abs=1e-3)  # ms on SQLite
    assert got["duration"][order[second]] >= 0
    assert got["duration"][order[running]] is None


def test_empty_and_metricless_columns_keep_their_shape(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    created = client.post("/api/experiments", json=body()).json()
    url = f"/api/experiments/{created['id']}/trials/columns"
    empty = client.get(url).json()
    assert empty["metrics"] == {} and empty["duration"] == []
    trial_id = _claim(factory)
    with session_scope(factory) as s:
        tell(s, trial_id, state=TrialState.COMPLETE, value=1.0)
    got = client.get(url).json()
    assert got["metrics"] == {} and got["duration"][0] >= 0
    assert set(got) == {
        "cursor",
        "id",
        "search_id",
        "number",
        "state",
        "value",
        "params",
        "metrics",
        "metrics_omitted",
        "duration",
        "notes",
    }
    assert got["notes"] == {}
    assert got["metrics_omitted"] == 0


def _own_metrics(factory: sessionmaker[Session], n_trials: int, names: int) -> int:
    """An experiment whose trials each report `names` metrics no other trial has (stored
    directly: the columns read them however they came in)."""
    with session_scope(factory) as s:
        experiment, search = create_experiment(
            s,
            name="metrics",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}}),
            settings=SearchSettings(n_trials=n_trials, seed=1),
        )
        rows = [_row(experiment.id, search.id, i, names) for i in range(n_trials)]
        s.execute(insert(Trial), rows)
        experiment.seq = n_trials
        return experiment.id


def _row(experiment_id: int, search_id: int, i: int, names: int) -> dict[str, Any]:
    return {
        "experiment_id": experiment_id,
        "search_id": search_id,
        "number": i,
        "state": TrialState.COMPLETE,
        "params": {"x": i / 1000},
        "value": float(i),
        "metrics": {f"m{i}_{k}": k / 2 for k in range(names)},
        "attempt": 0,
        "lost": 0,
        "seq": i + 1,
    }


def test_columns_stay_linear_in_distinct_metric_names(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    # 60,000 distinct names over 200 trials: a column each, with a cell per trial, was 12
    # million cells (60 MB, 7 s); 600 trials x 300 names made 542 MB in 60 s and 2.8 GB.
    experiment_id = _own_metrics(factory, 200, 300)
    started = time.perf_counter()
    response = client.get(f"/api/experiments/{experiment_id}/trials/columns")
    seconds = time.perf_counter() - started
    assert response.status_code == 200
    assert seconds < 3.0 and len(response.content) < 5_000_000
    got = response.json()
    assert len(got["metrics"]) == MAX_METRIC_COLUMNS
    assert got["metrics_omitted"] == 200 * 300 - MAX_METRIC_COLUMNS
    # The first names in change order keep complete, correct columns.
    assert list(got["metrics"])[:3] == ["m0_0", "m0_1", "m0_2"]
    assert got["metrics"]["m0_1"] == [0.5] + [None] * 199
    # Every metric of a trial is still read with the trial itself.
    last = got["id"][-1]
    assert len(client.get(f"/api/trials/{last}").json()["metrics"]) == 300


def test_twice_the_trials_make_twice_the_answer_not_four_times(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    sizes = []
    for n_trials in (200, 400):
        experiment_id = _own_metrics(factory, n_trials, 50)
        url = f"/api/experiments/{experiment_id}/trials/columns"
        sizes.append(len(client.get(url).content))
    assert sizes[1] / sizes[0] < 2.5  # quadratic, it was 4


def test_an_incremental_read_has_its_own_columns(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment_id = _own_metrics(factory, 3, 2 * MAX_METRIC_COLUMNS)
    url = f"/api/experiments/{experiment_id}/trials/columns"
    first = client.get(url).json()
    assert list(first["metrics"]) == [f"m0_{k}" for k in range(MAX_METRIC_COLUMNS)]
    later = client.get(url, params={"since": 2}).json()
    assert later["id"] == first["id"][2:]
    assert list(later["metrics"]) == [f"m2_{k}" for k in range(MAX_METRIC_COLUMNS)]
    assert later["metrics_omitted"] == MAX_METRIC_COLUMNS
