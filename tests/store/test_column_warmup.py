"""A server that starts builds the kept columns of its largest recent experiments in the
background (app/store/column_warmup.py), newest first, within the cache's budget; and where
that can go wrong (found by review): an experiment deleted meanwhile, tables heavier than
their guess, an experiment the cache refuses, benchmarks/reads.py's measure below the size it
builds."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.main import create_app
from app.settings import Settings
from app.store import column_cache, column_warmup
from app.store.claims import enqueue
from app.store.db import session_scope
from app.store.experiments import create_experiment, delete_experiment
from app.store.models import Direction, Trial
from app.store.searches import SearchSettings
from tests.support.processes import ROOT


@pytest.fixture(autouse=True)
def _forgotten() -> Iterator[None]:
    column_cache.forget()
    yield
    column_cache.forget()


def _space(n_params: int) -> SearchSpace:
    return SearchSpace.from_dict(
        {f"x{j}": {"type": "float", "low": 0.0, "high": 1.0} for j in range(n_params)}
    )


def _experiments(factory: sessionmaker[Session], sizes: list[int], n_params: int = 1) -> list[int]:
    """Experiments e0, e1, ... of these many waiting trials, oldest first; their ids."""
    space = _space(n_params)
    ids = []
    for k, n in enumerate(sizes):
        with session_scope(factory) as s:
            experiment, search = create_experiment(
                s,
                name=f"e{k}",
                objective="bowl",
                direction=Direction.MINIMIZE,
                space=space,
                settings=SearchSettings(n_trials=n, seed=1),
            )
            for i in range(n):
                params = {f"x{j}": ((i + j) % n) / n for j in range(n_params)}
                enqueue(s, search.id, params)
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


def _budget(monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    """The cache's budget as the warm-up (BUDGET) and the cache itself (_KEPT) see it."""
    monkeypatch.setattr(column_cache, "BUDGET", budget)
    monkeypatch.setattr(column_cache._KEPT, "budget", budget)


def test_an_experiment_deleted_during_the_warm_up_stops_nothing_else(
    factory: sessionmaker[Session],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Someone deletes an older big experiment while the server builds the newest one: the
    warm-up should skip it and build the rest, not die with a logged traceback."""
    oldest, middle, newest = _experiments(factory, [20, 20, 20])
    monkeypatch.setattr(column_warmup, "WARM_MIN", 10)
    real = column_cache.columns_since

    def columns_since(session, experiment_id, since):  # type: ignore[no-untyped-def]
        if experiment_id == newest:  # the newest is being built: `middle` is deleted meanwhile
            with session_scope(factory) as s:
                delete_experiment(s, middle, confirm="e1")
        return real(session, experiment_id, since)

    monkeypatch.setattr(column_cache, "columns_since", columns_since)
    caplog.set_level(logging.INFO, logger="hyperzoom.columns")
    column_warmup.start(factory, threading.Event()).join(20)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert column_cache.kept_table(make_url(db_url), oldest) is not None, "oldest never built"


def test_every_experiment_the_warm_up_reports_built_is_still_kept(
    factory: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six parameters a trial weigh more than ROW_GUESS (80 bytes, "four parameters"): the
    guesses of both experiments fit the budget, their tables do not, so building the older one
    pushes the newest one out of the cache (LRU), and the warm-up still reports and logs both
    as kept. At full size: two experiments of 800,000 trials of six parameters (guess 64 MB
    each, tables about 82 MB each) against the 128 MB budget; the first page of the newest
    experiment after a restart reads cold (seconds), which is what the warm-up is for."""
    older, newest = _experiments(factory, [40, 40], n_params=6)
    url = make_url(db_url)
    with factory() as s, column_cache.columns_since(s, newest, 0):
        pass
    one = column_cache.kept_bytes()  # what one table weighs (they are alike)
    column_cache.forget()
    guesses = 2 * 40 * column_cache.ROW_GUESS
    budget = max(guesses, one + one // 4)
    assert guesses <= budget < 2 * one  # both guesses fit, one table fits, two do not
    _budget(monkeypatch, budget)
    built = column_warmup.warm(factory, threading.Event(), min_trials=10)
    assert built[0] == newest
    assert [i for i in built if column_cache.kept_table(url, i) is None] == []


def test_an_uncacheable_experiment_is_neither_reported_built_nor_spends_the_room(
    factory: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newest experiment has more metric names than an answer has columns, so the cache
    never keeps it; the warm-up still counts it built (and logs it kept) and spends its guessed
    size of the budget on it, so the older experiment that would fit is never built."""
    older, newest = _experiments(factory, [30, 30])
    many = {f"m{k}": float(k) for k in range(150)}
    with session_scope(factory) as s:
        s.execute(update(Trial).where(Trial.experiment_id == newest).values(metrics=many))
    _budget(monkeypatch, 35 * column_cache.ROW_GUESS)  # room for one experiment's guess
    built = column_warmup.warm(factory, threading.Event(), min_trials=10)
    url = make_url(db_url)
    assert column_cache.kept_table(url, newest) is None  # not kept, as designed
    assert built == [older]
    assert column_cache.kept_table(url, older) is not None


def test_the_reads_benchmark_survives_a_size_below_the_warm_up_threshold(
    tmp_path: Path,
) -> None:
    """`benchmarks/reads.py --binary-only` (default sizes 10,000, 100,000, 1,000,000; the
    docstring's example `--sizes 100000`) waits for the line "kept the columns of experiments"
    from a server whose experiment is below WARM_MIN (200,000): the warm-up builds nothing and
    logs nothing, so the benchmark waits its whole timeout (300 s by default) and then dies
    with TimeoutError at the first size."""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.fill import Ours
        from benchmarks.reads import read_after_warm_up
    finally:
        sys.path.remove(str(ROOT))
    ours = Ours.create(str(tmp_path / "ours.db"), 1000)
    try:
        ours.fill(1000, np.random.default_rng(0))
        got = read_after_warm_up(ours, 12.0, tmp_path / "server.log")
    finally:
        ours.engine.dispose()
    assert got["first"] > 0
