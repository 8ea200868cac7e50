"""A server that starts builds the kept columns of its largest recent experiments in the
background (app/store/column_warmup.py), newest first, within the cache's budget."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.main import create_app
from app.settings import Settings
from app.store import column_cache, column_warmup
from app.store.claims import enqueue
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction
from app.store.searches import SearchSettings

SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})


@pytest.fixture(autouse=True)
def _forgotten() -> Iterator[None]:
    column_cache.forget()
    yield
    column_cache.forget()


def _experiments(factory: sessionmaker[Session], sizes: list[int]) -> list[int]:
    """Experiments of these many (waiting) trials, in this order; their ids."""
    ids = []
    for n in sizes:
        with session_scope(factory) as s:
            experiment, search = create_experiment(
                s,
                name=f"e{n}",
                objective="bowl",
                direction=Direction.MINIMIZE,
                space=SPACE,
                settings=SearchSettings(n_trials=n, seed=1),
            )
            for i in range(n):
                enqueue(s, search.id, {"x": i / n})
            ids.append(experiment.id)
    return ids


def test_the_big_experiments_are_built_newest_first_and_the_small_left_alone(
    factory: sessionmaker[Session], db_url: str
) -> None:
    first, small, last = _experiments(factory, [30, 5, 40])
    assert column_warmup.warm(factory, threading.Event(), min_trials=10) == [last, first]
    url = make_url(db_url)
    for experiment_id, n in ((first, 30), (last, 40)):
        table = column_cache.kept_table(url, experiment_id)
        assert table is not None and table.size == n
    assert column_cache.kept_table(url, small) is None


def test_the_budget_and_a_stop_bound_the_warm_up(
    factory: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, last = _experiments(factory, [30, 40])
    # Room for the newest one's guessed size only.
    monkeypatch.setattr(column_cache, "BUDGET", 45 * column_cache.ROW_GUESS)
    assert column_warmup.warm(factory, threading.Event(), min_trials=10) == [last]
    column_cache.forget()
    stopped = threading.Event()
    stopped.set()
    assert column_warmup.warm(factory, stopped, min_trials=10) == []
    assert column_cache.kept_table(make_url(db_url), last) is None


def test_a_starting_server_builds_them_in_the_background(
    factory: sessionmaker[Session],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (experiment_id,) = _experiments(factory, [25])
    monkeypatch.setattr(column_warmup, "WARM_MIN", 10)
    caplog.set_level(logging.INFO, logger="hyperzoom.columns")
    url = make_url(db_url)
    with TestClient(create_app(Settings(database_url=db_url, warm_columns=True))) as client:
        deadline = time.monotonic() + 60
        while f"kept the columns of experiments [{experiment_id}]" not in caplog.text:
            assert time.monotonic() < deadline, "the kept columns were never built"
            time.sleep(0.05)
        table = column_cache.kept_table(url, experiment_id)
        assert table is not None and table.size == 25
        answer = client.get(f"/api/experiments/{experiment_id}/trials/columns")
        assert answer.status_code == 200 and len(answer.json()["id"]) == 25


def test_off_by_setting(
    factory: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (experiment_id,) = _experiments(factory, [25])
    monkeypatch.setattr(column_warmup, "WARM_MIN", 10)
    started: list[threading.Thread] = []
    real_start = column_warmup.start

    def start(*args: object) -> threading.Thread:
        started.append(real_start(*args))  # type: ignore[arg-type]
        return started[-1]

    monkeypatch.setattr(column_warmup, "start", start)
    assert Settings(database_url=db_url).warm_columns is False  # the suite's environment
    with TestClient(create_app(Settings(database_url=db_url, warm_columns=False))) as client:
        assert client.get("/api/experiments").status_code == 200
    assert started == []
    assert column_cache.kept_table(make_url(db_url), experiment_id) is None
    with TestClient(create_app(Settings(database_url=db_url, warm_columns=True))):
        assert len(started) == 1
        started[0].join(60)
    assert column_cache.kept_table(make_url(db_url), experiment_id) is not None
