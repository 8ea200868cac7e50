"""Fault drills with real worker processes: concurrency, kill -9, crashes, SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction, SearchStatus, Trial, TrialState
from app.store.searches import Reaping, SearchSettings, get_search
from tests.support.processes import hyperzoom

pytestmark = pytest.mark.slow
MODULE = "tests.worker.objectives_for_tests"
SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})


def make_search(
    factory: sessionmaker[Session], objective: str, n_trials: int, **policy: Any
) -> int:
    """A search of `n_trials` over x in [0, 1] for a test objective, with a reaping policy
    (heartbeat_timeout, max_retries) when given; returns its id."""
    with session_scope(factory) as s:
        _, search = create_experiment(
            s,
            name=objective,
            objective=f"{MODULE}:{objective}",
            direction=Direction.MINIMIZE,
            space=SPACE,
            policy=Reaping(**policy),
            settings=SearchSettings(n_trials=n_trials),
        )
        return search.id


def worker(db_url: str, objective: str, *args: str, log: Path, **env: str) -> subprocess.Popen:
    """Start `hyperzoom worker` for one test objective."""
    command = ["worker", "--db", db_url, "--objective", f"{MODULE}:{objective}", "--poll", "0.05"]
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return hyperzoom(*command, *args, stdout=out, stderr=subprocess.STDOUT, env=env)


def trials(factory: sessionmaker[Session], search_id: int) -> list[Trial]:
    """The search's trials by number."""
    with session_scope(factory) as s:
        rows = s.scalars(select(Trial).where(Trial.search_id == search_id).order_by(Trial.number))
        return list(rows)


def wait_for(condition: Any, timeout: float = 60, what: str = "condition") -> None:
    """Poll until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_eight_worker_processes_run_every_trial_exactly_once(
    db_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    search_id = make_search(factory, "ok", 200)
    log = tmp_path / "workers.log"
    pool = worker(db_url, "ok", "--processes", "8", "--idle-exit", "3", log=log)
    assert pool.wait(timeout=240) == 0, log.read_text()[-3000:]
    found = trials(factory, search_id)
    assert [t.number for t in found] == list(range(200))
    assert all(t.state is TrialState.COMPLETE and t.value == t.params["x"] for t in found)
    assert len({t.worker for t in found}) > 1
    with session_scope(factory) as s:
        search = get_search(s, search_id)
        assert (search.status, search.n_asked, search.n_finished) == (SearchStatus.DONE, 200, 200)
    assert "database is locked" not in log.read_text()


def test_a_trial_of_a_killed_worker_is_retried_and_the_budget_completes(
    db_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    search_id = make_search(factory, "slow", 4, heartbeat_timeout=1)
    log = tmp_path / "workers.log"
    victim = worker(db_url, "slow", log=log, HZ_TEST_SLOW="1.5")
    wait_for(
        lambda: any(t.state is TrialState.RUNNING for t in trials(factory, search_id)),
        what="the first trial to start",
    )
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    [lost] = [t for t in trials(factory, search_id) if t.state is TrialState.RUNNING]
    rescuer = worker(db_url, "slow", "--idle-exit", "2", log=log, HZ_TEST_SLOW="0.1")
    assert rescuer.wait(timeout=60) == 0, log.read_text()[-3000:]
    found = trials(factory, search_id)
    assert [t.number for t in found] == [0, 1, 2, 3]
    assert all(t.state is TrialState.COMPLETE for t in found), [t.error for t in found]
    retried = next(t for t in found if t.id == lost.id)
    assert (retried.attempt, retried.lost) == (1, 1) and retried.params == lost.params
    with session_scope(factory) as s:
        assert get_search(s, search_id).n_finished == 4


def test_a_trial_whose_retries_run_out_is_failed_with_the_reason(
    db_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    search_id = make_search(factory, "slow", 1, heartbeat_timeout=0.5, max_retries=1)
    log = tmp_path / "workers.log"
    for attempt in range(2):  # the first attempt and its one retry both die

        def running(attempt: int = attempt) -> bool:
            found = trials(factory, search_id)
            return bool(found) and (found[0].state, found[0].attempt) == (
                TrialState.RUNNING,
                attempt,
            )

        victim = worker(db_url, "slow", log=log, HZ_TEST_SLOW="30")
        wait_for(running, what=f"attempt {attempt} to run")
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        time.sleep(0.6)
    reaper = worker(db_url, "slow", "--idle-exit", "1.5", log=log)
    assert reaper.wait(timeout=30) == 0
    [trial] = trials(factory, search_id)
    assert trial.state is TrialState.FAILED and trial.attempt == 1
    assert "lost on attempt 2" in trial.error and trial.lost == 2
    with session_scope(factory) as s:
        assert get_search(s, search_id).status is SearchStatus.DONE


@pytest.mark.parametrize(
    ("objective", "flags", "reason"),
    [
        ("segfault", [], "killed by SIGSEGV"),
        ("hangs", ["--trial-timeout", "0.5"], "timed out after 0.5 s"),
        ("nan", [], "not a finite number"),
    ],
)
def test_a_crashing_objective_fails_its_trials_and_the_worker_carries_on(
    db_url: str,
    factory: sessionmaker[Session],
    tmp_path: Path,
    objective: str,
    flags: list[str],
    reason: str,
) -> None:
    search_id = make_search(factory, objective, 2)
    log = tmp_path / "worker.log"
    process = worker(db_url, objective, *flags, "--idle-exit", "1", log=log)
    assert process.wait(timeout=60) == 0, log.read_text()[-3000:]
    found = trials(factory, search_id)
    assert [t.state for t in found] == [TrialState.FAILED, TrialState.FAILED]
    assert all(reason in t.error for t in found)


def test_sigterm_gives_back_the_running_trial(
    db_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    search_id = make_search(factory, "slow", 1)
    log = tmp_path / "worker.log"
    process = worker(db_url, "slow", log=log, HZ_TEST_SLOW="60")
    wait_for(
        lambda: any(t.state is TrialState.RUNNING for t in trials(factory, search_id)),
        what="the trial to start",
    )
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0, log.read_text()
    assert time.monotonic() - started < 10
    [trial] = trials(factory, search_id)
    assert (trial.state, trial.worker) == (TrialState.WAITING, None)
    assert (trial.attempt, trial.lost) == (1, 0)  # a new ticket, but no retry used up
    finisher = worker(db_url, "slow", "--idle-exit", "1", log=log, HZ_TEST_SLOW="0")
    assert finisher.wait(timeout=30) == 0
    [trial] = trials(factory, search_id)
    assert trial.state is TrialState.COMPLETE and trial.number == 0


def test_a_neighbour_with_a_short_timeout_of_its_own_fails_no_healthy_trial(
    db_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """Issue 14, item 14: a worker started with `--heartbeat-timeout 1 --max-retries 0` beside
    a healthy worker running 3-second trials used to fail them; each search's own policy (here
    the default, 60 s) now decides, whoever reaps."""
    search_id = make_search(factory, "slow", 3)
    log = tmp_path / "workers.log"
    healthy = worker(db_url, "slow", "--idle-exit", "1", log=log, HZ_TEST_SLOW="3")
    wait_for(lambda: any(t.state is TrialState.RUNNING for t in trials(factory, search_id)))
    neighbour = worker(
        db_url, "slow", "--heartbeat-timeout", "1", "--max-retries", "0", "--idle-exit", "8",
        log=log, HZ_TEST_SLOW="30",
    )  # fmt: skip
    assert healthy.wait(timeout=90) == 0, log.read_text()[-3000:]
    neighbour.wait(timeout=60)
    found = trials(factory, search_id)
    assert [(t.state, t.attempt, t.lost) for t in found] == [(TrialState.COMPLETE, 0, 0)] * 3
    assert "--heartbeat-timeout and --max-retries are ignored" in log.read_text()
