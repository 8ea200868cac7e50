"""The worker: ask for a trial, evaluate it (isolated, with heartbeats), tell the result."""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.core.states import TrialState
from app.core.values import storable_text
from app.objectives import ObjectiveSpec
from app.store.claims import Claim
from app.store.reaper import REAP_EVERY
from app.worker.backend import Backend, retryable
from app.worker.heartbeat import Heartbeat
from app.worker.isolate import Sandbox
from app.worker.trial import Outcome, storable

log = logging.getLogger("hyperzoom.worker")
OnResult = Callable[[Claim, Outcome], None]
HEARTBEAT_EVERY = 5.0  # seconds, at most, between heartbeats of a running trial
_REASON_CHARS = 2_000  # of a refusal stored as a trial's reason


def default_worker_name() -> str:
    """host:pid, enough to find the process that ran a trial."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker treats time and failure."""

    # Seconds between heartbeats, at most; a search with a short timeout gets them more often.
    # When a trial is lost and how often it is retried is the search's own policy, not ours.
    heartbeat_every: float = HEARTBEAT_EVERY
    trial_timeout: float | None = None  # fail a trial that runs longer than this
    poll: float = 0.5  # seconds between asks when there is nothing to do


class Worker:
    """Runs trials of the objectives it knows, one at a time, until told to stop."""

    def __init__(
        self,
        backend: Backend,
        objectives: Mapping[str, ObjectiveSpec],
        *,
        evaluator: Any | None = None,
        options: WorkerOptions | None = None,
        name: str | None = None,
        on_result: OnResult | None = None,
    ) -> None:
        self.backend = backend
        self.objectives = dict(objectives)
        self.evaluator = evaluator or Sandbox()
        self.options = options or WorkerOptions()
        self.name = name or default_worker_name()
        self.on_result = on_result
        self.stop_event = threading.Event()
        self._last_reap = 0.0
        self.heartbeat = Heartbeat(self.backend.heartbeat, self.options.heartbeat_every)

    def run_once(self) -> Claim | None:
        """Evaluate one trial if there is one; return its claim, or None."""
        self._maybe_reap()
        claim = self.backend.ask(list(self.objectives), self.name)
        if claim is None:
            return None
        outcome = self._evaluate(claim)
        if outcome is None:
            if self.stop_event.is_set():
                self._give_back(claim)
            return claim
        outcome = storable(outcome)
        if self._tell(claim, outcome) and self.on_result:
            self.on_result(claim, outcome)
        return claim

    def _evaluate(self, claim: Claim) -> Outcome | None:
        lost = self.heartbeat.watch(claim)
        try:
            return self.evaluator.evaluate(
                self._spec(claim),
                claim.params,
                lambda step, value: self._report(claim, step, value),
                timeout=self.options.trial_timeout,
                cancelled=lambda: lost.is_set() or self.stop_event.is_set(),
            )
        finally:
            self.heartbeat.unwatch()

    def _spec(self, claim: Claim) -> ObjectiveSpec:
        """The objective as this trial needs it: with several declared metrics, the first is
        the key of the value in the dict the objective returns."""
        spec = self.objectives[claim.objective]
        if claim.metric is not None and claim.metric != spec.metric:
            spec = replace(spec, metric=claim.metric)
        return spec

    def _report(self, claim: Claim, step: int, value: float) -> bool:
        try:
            return self.backend.report(claim, step, value)
        except Exception as exc:  # a lost learning-curve point must not cost the trial
            log.warning("could not report step %s of trial %s: %s", step, claim.trial_id, exc)
            return False

    def _tell(self, claim: Claim, outcome: Outcome) -> bool:
        """Record the result. One the database or server refuses (it cannot ever be stored as
        it is) is recorded as a failure with the refusal as its reason, so neither this worker
        nor the next one to get the trial waits on it forever."""
        try:
            return bool(self._persist(lambda: self.backend.tell(claim, outcome)))
        except Exception as exc:
            log.error("trial %s: result refused (%s); storing a failure", claim.trial_id, exc)
            reason = storable_text(f"the result could not be stored: {exc}", _REASON_CHARS)
        failure = Outcome(TrialState.FAILED, error=reason)
        try:
            return bool(self._persist(lambda: self.backend.tell(claim, failure)))
        except Exception as exc:  # the reaper retries the trial, then fails it
            log.error("trial %s: its failure was refused too (%s)", claim.trial_id, exc)
            return False

    def _give_back(self, claim: Claim) -> None:
        """Release a trial we are stopping on; if the release is refused, the reaper has it."""
        try:
            self._persist(lambda: self.backend.release(claim))
        except Exception as exc:  # the heartbeat lapses and the reaper gives it back
            log.error("could not give back trial %s: %s", claim.trial_id, exc)
            return
        log.info("gave back trial %s of search %s", claim.number, claim.search_id)

    def _persist(self, call: Callable[[], Any]) -> Any:
        """Retry a call that records a result while it may succeed later: the database or
        server may be down or locked for a while, and the result is worth waiting for. A
        refusal that no retry can change is raised. A stop request ends the wait (the
        heartbeat then lapses and the trial is retried elsewhere)."""
        for delay in backoff():
            try:
                return call()
            except Exception as exc:
                if not retryable(exc):
                    raise
                log.warning("cannot record the result yet (%s); retrying in %.1f s", exc, delay)
                if self.stop_event.wait(delay):
                    return False
        return False

    def _maybe_reap(self) -> None:
        now = time.monotonic()
        if now - self._last_reap < REAP_EVERY:
            return
        self._last_reap = now
        for trial_id in self.backend.reap():
            log.warning("recovered trial %s whose worker stopped heartbeating", trial_id)

    def run(self, *, max_trials: int | None = None, idle_exit: float | None = None) -> int:
        """Loop until stopped, `max_trials` are done, or nothing to do for `idle_exit` seconds."""
        done, idle_since = 0, time.monotonic()
        try:
            while not self.stop_event.is_set() and (max_trials is None or done < max_trials):
                if _orphaned():
                    log.warning("the process that started this worker is gone; stopping")
                    break
                try:
                    claim = self.run_once()
                except Exception as exc:  # the database or server is away: wait and retry
                    log.warning("cannot get work: %s; retrying", exc)
                    self.stop_event.wait(min(self.options.poll * 4, 5.0))
                    continue
                if claim is not None:
                    done, idle_since = done + 1, time.monotonic()
                elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                    break
                else:
                    self.stop_event.wait(self.options.poll)
        finally:
            self.heartbeat.close()
            self.evaluator.close()
        return done

    def stop_on_signals(self) -> None:
        """SIGTERM or Ctrl-C: give back the current trial and stop cleanly."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop_event.set())


def backoff(first: float = 0.5, cap: float = 5.0) -> Iterator[float]:
    """Waits between retries: doubling up to `cap`, with jitter so workers do not stampede a
    database that just came back."""
    delay = first
    while True:
        yield delay * random.uniform(0.5, 1.0)
        delay = min(delay * 2, cap)


def _orphaned() -> bool:
    """Whether the `--processes` parent that started this worker has died."""
    parent = os.environ.get("HYPERZOOM_PARENT_PID")
    return parent is not None and os.getppid() != int(parent)
