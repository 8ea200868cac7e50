"""Drill: the search tallies (trials per state, best value) stay exact through chaos.

Real worker processes run an objective that crashes on some configurations and reports curves
a median pruner stops; workers are SIGKILLed while they hold a trial (reaped and retried, or
failed when out of retries) and one is stopped with SIGTERM (it gives its trial back), a search
is stopped mid-run, trials are enqueued by hand, and the experiment is exported and imported
while trials run (its running trials come back waiting, and workers run them). Afterwards every
search's tallies equal a fresh GROUP BY count and MIN or MAX of its trials, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.store.claims import enqueue
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.exporting import export_experiment
from app.store.importing import import_experiment
from app.store.models import Direction, Search, SearchStatus, Trial, TrialState
from app.store.searches import Reaping, SearchSettings, refine_search, stop_search
from tests.support.drills import MODULE, kill, record, start_worker, wait_for
from tests.support.tallies import check_tallies

pytestmark = pytest.mark.slow
CHAOTIC = f"{MODULE}:chaotic"
SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})
WORKERS = 3
KILLS = 5
# A lost trial is retried once after 1 s of silence, then failed.
POLICY = Reaping(heartbeat_timeout=1, max_retries=1)
PRUNER = {"type": "median", "n_startup_trials": 2}


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """SQLite and PostgreSQL in turn (the shared fixtures follow this one)."""
    return any_db_url


def _experiment(
    factory: sessionmaker[Session], name: str, direction: Direction, n_trials: int
) -> tuple[int, int]:
    with session_scope(factory) as s:
        experiment, root = create_experiment(
            s,
            name=name,
            objective=CHAOTIC,
            direction=direction,
            space=SPACE,
            policy=POLICY,
            settings=SearchSettings(n_trials=n_trials, seed=11, pruner=PRUNER),
        )
        return experiment.id, root.id


def _holding(factory: sessionmaker[Session], pool: list[Any]) -> Any:
    """A worker of `pool` that holds a running trial now, if any."""
    with session_scope(factory) as s:
        names = set(s.scalars(select(Trial.worker).where(Trial.state == TrialState.RUNNING)))
    pids = {name.rsplit(":", 1)[-1] for name in names if name}
    return next((p for p in pool if str(p.pid) in pids), None)


def _finished(factory: sessionmaker[Session], search_id: int) -> int:
    with session_scope(factory) as s:
        return s.scalar(select(Search.n_finished).where(Search.id == search_id)) or 0


def _settled(factory: sessionmaker[Session]) -> bool:
    """Every search done or stopped, and no trial running."""
    with session_scope(factory) as s:
        open_searches = s.scalar(
            select(func.count())
            .select_from(Search)
            .where(Search.status.not_in([SearchStatus.DONE, SearchStatus.STOPPED]))
        )
        running = s.scalar(
            select(func.count()).select_from(Trial).where(Trial.state == TrialState.RUNNING)
        )
        return open_searches == 0 and running == 0


def test_tallies_equal_a_fresh_count_after_a_chaos_run(
    db_url: str,
    factory: sessionmaker[Session],
    engine: Engine,
    tmp_path: Path,
    processes: list[Any],
) -> None:
    started = time.monotonic()
    rng = random.Random(20261210)
    # Workers take waiting trials first, then the newest search: the child to be stopped, the
    # minimizing root, the maximizing one (and the imported copy as soon as it is there).
    _, other = _experiment(factory, "chaos-max", Direction.MAXIMIZE, 80)
    experiment_id, root = _experiment(factory, "chaos-min", Direction.MINIMIZE, 120)
    with session_scope(factory) as s:
        stopped = refine_search(
            s, root, region={"x": [0.0, 0.6]}, settings=SearchSettings(n_trials=40, seed=2)
        ).id
        for x in (0.1, 0.5, 0.95):  # hand-picked, waiting; the last crashes
            enqueue(s, root, {"x": x})
    log = tmp_path / "workers.log"

    def launch() -> Any:
        process = start_worker(db_url, log=log, objective=CHAOTIC, HZ_TEST_SLOW="0.1")
        processes.append(process)
        return process

    pool = [launch() for _ in range(WORKERS)]
    wait_for(lambda: _finished(factory, stopped) >= 5, 60, "the child's first trials")
    with session_scope(factory) as s:
        stop_search(s, stopped)
    imported = None
    for event in range(KILLS + 1):
        victim = pool.index(wait_for(lambda: _holding(factory, pool), 60, "a worker holding"))
        time.sleep(rng.uniform(0.0, 0.1))  # somewhere inside its trial
        if event == KILLS:
            pool[victim].terminate()  # stops gracefully: gives its trial back
            assert pool[victim].wait(timeout=30) == 0, log.read_text()[-3000:]
        else:
            kill(pool[victim])
        pool[victim] = launch()
        if event == 2:  # while trials run: they come back waiting in the copy
            with session_scope(factory) as s:
                document = export_experiment(s, experiment_id)
            with session_scope(factory) as s:
                imported = import_experiment(s, document).id
        time.sleep(rng.uniform(0.2, 0.5))
    wait_for(lambda: _settled(factory), 180, "every search done or stopped", every=0.3)
    for process in pool:
        process.terminate()
    for process in pool:
        assert process.wait(timeout=30) == 0, log.read_text()[-3000:]

    totals = check_tallies(engine)
    with session_scope(factory) as s:
        lost = s.scalar(select(func.sum(Trial.lost))) or 0
        rows = s.execute(select(Search.id, Search.status, Search.best_value)).all()
    statuses = {search_id: status for search_id, status, _ in rows}
    best = {search_id: value for search_id, _, value in rows}
    assert imported is not None and totals["searches"] == 5
    assert statuses[stopped] is SearchStatus.STOPPED and statuses[other] is SearchStatus.DONE
    assert totals["complete"] and totals["failed"] and totals["pruned"] and lost >= 1
    assert best[other] is not None and best[root] is not None
    record(
        f"tallies-chaos-{engine.dialect.name}",
        worker_kills=KILLS,
        worker_stops=1,
        trials_recovered_by_heartbeat=lost,
        tallies_checked_searches=totals["searches"],
        **{state.value: totals[state.value] for state in TrialState},
        seconds=round(time.monotonic() - started, 1),
    )
