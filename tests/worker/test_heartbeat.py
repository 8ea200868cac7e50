"""The worker's one heartbeat thread: keeps each trial alive in turn, stops a given-up one."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.objectives import ObjectiveSpec
from app.store.claims import Claim
from app.store.db import session_scope
from app.store.models import Direction, Trial, TrialState
from app.worker.backend import DatabaseBackend
from app.worker.heartbeat import Heartbeat
from app.worker.isolate import InProcess, Sandbox
from app.worker.loop import Worker, WorkerOptions
from tests.support.workers import make_search, trials_of

SLEEPY = ObjectiveSpec("sleepy", "unused:unused", "minimize", "sleeps, then returns x")
HANGS = ObjectiveSpec("hangs", "tests.worker.objectives_for_tests:hangs", "minimize", "hangs")


def _claim(trial_id: int) -> Claim:
    return Claim(trial_id, 0, f"ticket-{trial_id}", 1, trial_id, "toy", Direction.MINIMIZE, {})


def test_one_thread_beats_each_watched_trial_in_turn_and_nothing_else() -> None:
    beats: list[int] = []
    heartbeat = Heartbeat(lambda claim: beats.append(claim.trial_id) is None, 0.05)
    heartbeat.watch(_claim(1))
    time.sleep(0.28)
    heartbeat.unwatch()
    first = len(beats)
    time.sleep(0.15)
    assert len(beats) == first, "no beat once the trial is no longer watched"
    thread = heartbeat._thread
    heartbeat.watch(_claim(2))
    time.sleep(0.18)
    heartbeat.unwatch()
    assert heartbeat._thread is thread, "the same thread serves the next trial"
    assert 2 <= first <= 6 and beats[:first] == [1] * first
    assert beats[first:] and set(beats[first:]) == {2}
    heartbeat.close()
    assert not thread.is_alive()


def test_a_refused_beat_sets_lost_and_a_failing_one_does_not() -> None:
    answers = iter([RuntimeError("database away"), True, False])

    def beat(claim: Claim) -> bool:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    heartbeat = Heartbeat(beat, 0.05)
    lost = heartbeat.watch(_claim(1))
    assert not lost.wait(0.12), "an error is logged and the trial goes on"
    assert lost.wait(2), "the server gave the trial up"
    heartbeat.close()


def test_unwatch_waits_for_a_beat_in_flight_and_close_allows_a_restart() -> None:
    in_flight = threading.Event()

    def slow_beat(claim: Claim) -> bool:
        in_flight.set()
        time.sleep(0.2)
        in_flight.clear()
        return True

    heartbeat = Heartbeat(slow_beat, 0.02)
    heartbeat.watch(_claim(1))
    assert in_flight.wait(1)
    heartbeat.unwatch()
    assert not in_flight.is_set()
    heartbeat.close()
    heartbeat.watch(_claim(2))
    assert in_flight.wait(1), "a watch after close starts a new thread"
    heartbeat.close()


def test_long_trials_are_kept_alive_in_the_database(factory: sessionmaker[Session]) -> None:
    search_id = make_search(factory, 2, objective="sleepy")

    def sleepy(params: dict[str, Any]) -> float:
        time.sleep(0.5)
        return float(params["x"])

    worker = Worker(
        DatabaseBackend(factory),
        {"sleepy": SLEEPY},
        evaluator=InProcess({"sleepy": sleepy}),
        options=WorkerOptions(heartbeat_every=0.1),
    )
    assert worker.run(idle_exit=0) == 2
    for trial in trials_of(factory, search_id):
        assert trial.state is TrialState.COMPLETE
        assert (trial.heartbeat_at - trial.started_at).total_seconds() >= 0.3


def test_a_trial_given_up_meanwhile_is_stopped_at_the_next_beat(
    factory: sessionmaker[Session],
) -> None:
    search_id = make_search(factory, 1, objective="hangs")
    worker = Worker(
        DatabaseBackend(factory),
        {"hangs": HANGS},
        evaluator=Sandbox(),
        options=WorkerOptions(heartbeat_every=0.1),
    )

    def give_up() -> None:  # what the server's reaper does to the attempt: a new one, no holder
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with session_scope(factory) as s:
                requeued = s.execute(
                    update(Trial)
                    .where(Trial.search_id == search_id, Trial.state == TrialState.RUNNING)
                    .values(state=TrialState.WAITING, attempt=1, ticket_digest=None)
                )
                if requeued.rowcount:
                    return
            time.sleep(0.05)

    helper = threading.Thread(target=give_up)
    helper.start()
    try:
        started = time.monotonic()
        claim = worker.run_once()
        elapsed = time.monotonic() - started
    finally:
        helper.join()
        worker.heartbeat.close()
        worker.evaluator.close()
    assert claim is not None and elapsed < 20
    (trial,) = trials_of(factory, search_id)
    assert trial.state is TrialState.WAITING and trial.attempt == 1


def test_a_given_up_trial_is_not_beaten_again() -> None:
    """Once the server said the trial was given up, more beats are only refused and logged
    each interval while the function (which in-process cannot be cancelled) runs on."""
    beats: list[int] = []

    def refused(claim: Claim) -> bool:
        beats.append(claim.trial_id)
        return False

    heartbeat = Heartbeat(refused, 0.03)
    lost = heartbeat.watch(_claim(1))
    assert lost.wait(2)
    time.sleep(0.2)
    assert beats == [1]
    heartbeat.watch(_claim(2))  # the next trial is beaten as usual
    time.sleep(0.1)
    heartbeat.unwatch()
    heartbeat.close()
    assert beats[:2] == [1, 2]
