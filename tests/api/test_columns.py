"""The columnar trials endpoint carries metrics and durations next to params and values."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pytest import approx
from sqlalchemy.orm import Session, sessionmaker

from app.store.db import session_scope
from app.store.models import Trial, TrialState
from app.store.trials import ask, tell
from tests.api.test_experiments import body


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
        "duration",
    }
