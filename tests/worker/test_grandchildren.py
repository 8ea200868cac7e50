"""What an objective starts ends with its trial (issue 14, item 15): a forked helper and a
daemon that left the session (fork, setsid, fork) are gone once the trial succeeds, fails or
times out, and when the worker is stopped or SIGKILLed."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.core.states import TrialState
from app.objectives import ObjectiveSpec
from app.worker.isolate import Sandbox
from tests.support.drills import kill, make_search, start_worker, wait_for

pytestmark = pytest.mark.slow
MODULE = "tests.worker.forking_objectives"


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie has ended: only its exit status is left)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def started(pids: Path, n: int = 2) -> list[int]:
    """The pids the objective noted, once it has noted `n`."""
    wait_for(lambda: len(list(pids.iterdir())) >= n, 30, "the objective's helpers")
    return [int(p.name) for p in pids.iterdir()]


def all_gone(pids: list[int], within: float = 5) -> list[int]:
    """The pids still running after `within` seconds (empty when all ended)."""
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


@pytest.fixture
def pids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the objectives note their helpers; anything left is killed after the test."""
    where = tmp_path / "pids"
    where.mkdir()
    monkeypatch.setenv("HZ_TEST_PIDS", str(where))
    yield where
    for p in where.iterdir():
        try:
            os.kill(int(p.name), signal.SIGKILL)
        except ProcessLookupError:
            pass


def spec(name: str) -> ObjectiveSpec:
    """A spec for one of the forking objectives."""
    return ObjectiveSpec(name, f"{MODULE}:{name}", "minimize", name)


@pytest.mark.parametrize(
    ("name", "state"),
    [("forks", TrialState.COMPLETE), ("forks_and_fails", TrialState.FAILED)],
)
def test_a_trial_that_ends_ends_what_its_objective_started(
    pids: Path, name: str, state: TrialState
) -> None:
    box = Sandbox()
    try:
        outcome = box.evaluate(spec(name), {"x": 0.5}, lambda s, v: False)
        assert outcome is not None and outcome.state is state
        assert all_gone(started(pids)) == []
        after = box.evaluate(spec("forks"), {"x": 0.25}, lambda s, v: False)
        assert after is not None and after.value == 0.25  # the sandbox still works
    finally:
        box.close()


def test_a_trial_that_times_out_ends_what_its_objective_started(pids: Path) -> None:
    box = Sandbox()
    try:
        outcome = box.evaluate(spec("forks_and_hangs"), {"x": 0.5}, lambda s, v: False, timeout=2)
        assert outcome is not None and outcome.error == "timed out after 2 s"
        assert all_gone(started(pids)) == []
    finally:
        box.close()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_a_worker_stopped_or_killed_mid_trial_leaves_nothing_running(
    db_url: str,
    factory: sessionmaker[Session],
    pids: Path,
    tmp_path: Path,
    how: str,
) -> None:
    objective = f"{MODULE}:forks_and_hangs"
    make_search(factory, 1, objective=objective)
    log = tmp_path / "worker.log"
    worker = start_worker(db_url, log=log, objective=objective, HZ_TEST_PIDS=str(pids))
    try:
        helpers = started(pids)
        evaluating = _children(worker.pid)
        assert evaluating, "the worker has no evaluation child"
        if how == "SIGKILL":
            kill(worker)
        else:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0, log.read_text()[-3000:]
        assert all_gone(helpers + evaluating) == [], log.read_text()[-3000:]
    finally:
        kill(worker)


def _children(pid: int) -> list[int]:
    """The direct children of `pid`."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]
