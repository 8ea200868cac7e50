"""`Search.optimize`: the worker protocol, run in the calling process on a Python function.

Each thread is an ordinary `app.worker.loop.Worker` (ask, evaluate, heartbeat, report, tell,
release) whose evaluator calls the function in-process and whose backend asks only for this
search's trials. So retries, pruners, heartbeats and failed-trial records are the workers'
own; this module adds only when to stop, threads, a progress bar and the Ctrl-C path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.states import TrialState
from app.objectives import ObjectiveSpec
from app.worker.backend import Backend, retryable
from app.worker.isolate import InProcess
from app.worker.loop import Worker, backoff, default_worker_name
from app.worker.trial import Outcome, TrialHandle, TrialPruned, call_objective
from hyperzoom.errors import HyperzoomError
from hyperzoom.progress import TrialsBar

if TYPE_CHECKING:
    from app.store.claims import Claim

log = logging.getLogger("hyperzoom")
Objective = Callable[..., Any]


@dataclass(frozen=True)
class Run:
    """What one `optimize` call runs: whose trials, with which function, for how long."""

    search_id: int
    objective: str  # the experiment's objective: the ask names it, as any worker's does
    direction: str
    fn: Objective
    metric: str | None = None
    n_trials: int | None = None
    n_jobs: int = 1
    timeout: float | None = None
    # Exceptions that fail their trial and let the search go on; any other fails its trial
    # too, then stops every worker and is raised (Optuna's `catch`).
    catch: tuple[type[Exception], ...] = (Exception,)


class Uncaught:
    """The function, watched for an exception outside `catch`: the trial still fails with
    its traceback (the evaluator records it), then every worker stops and it is raised."""

    def __init__(self, fn: Objective, catch: tuple[type[Exception], ...]) -> None:
        self.fn, self.catch = fn, catch
        self.raised: list[Exception] = []
        self.workers: list[Worker] = []

    def __call__(self, params: dict[str, Any], trial: TrialHandle) -> Any:
        try:
            return call_objective(self.fn, params, trial)
        except TrialPruned:
            raise
        except Exception as exc:
            if not isinstance(exc, self.catch):
                self.raised.append(exc)
                for worker in self.workers:
                    worker.stop_event.set()
            raise


class Held:
    """The backend, remembering the trials it handed out and not yet finished, so that an
    interrupted `optimize` gives every one of them back (release), in whichever thread."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._held: dict[int, Claim] = {}
        # (trial id, attempt) of results the store took: a trial given up while its function
        # ran (its result refused) was not run by this call, whatever run_once returned.
        self._recorded: set[tuple[int, int]] = set()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # register, report, heartbeat, reap, close
        return getattr(self.backend, name)

    def ask(self, objectives: Any, worker: str) -> Claim | None:
        claim = self.backend.ask(objectives, worker)
        if claim is not None:
            with self._lock:
                self._held[claim.trial_id] = claim
        return claim

    def tell(self, claim: Claim, outcome: Outcome) -> bool:
        told = self.backend.tell(claim, outcome)  # raises while it may be retried: still held
        self._forget(claim)
        if told:
            with self._lock:
                self._recorded.add((claim.trial_id, claim.attempt))
        return told

    def recorded(self, claim: Claim) -> bool:
        """Whether the claim's result was stored (once: the answer is forgotten)."""
        with self._lock:
            try:
                self._recorded.remove((claim.trial_id, claim.attempt))
            except KeyError:
                return False
            return True

    def release(self, claim: Claim) -> None:
        self.backend.release(claim)
        self._forget(claim)

    def _forget(self, claim: Claim) -> None:
        with self._lock:
            self._held.pop(claim.trial_id, None)

    def give_back(self) -> None:
        """Release every trial still held: each waits, same number and params, for the next
        worker or `optimize` (a release never uses up one of its retries)."""
        with self._lock:
            held = list(self._held.values())
        for claim in held:
            try:
                self.release(claim)
            except Exception as exc:  # its heartbeat lapses and the reaper gives it back
                log.error("could not give back trial %s: %s", claim.number, exc)


class Quota:
    """How many more trials this call may start (None: until the search has none left)."""

    def __init__(self, n: int | None) -> None:
        self.left, self._lock = n, threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.left is None:
                return True
            if self.left <= 0:
                return False
            self.left -= 1
            return True

    def put_back(self) -> None:
        with self._lock:
            if self.left is not None:
                self.left += 1


def run_trials(backend: Backend, run: Run, bar: TrialsBar) -> int:
    """Run `run`'s trials on `backend` until its budget, the search's or the timeout ends;
    the number of trials evaluated. Ctrl-C (or any exception) gives the running trials back
    and is raised again."""
    held = Held(backend)
    spec = ObjectiveSpec(
        run.objective,
        f"python:{getattr(run.fn, '__qualname__', 'function')}",
        run.direction,
        "A Python function run by hyperzoom's optimize",
        metric=run.metric,
    )

    def on_result(claim: Claim, outcome: Outcome) -> None:
        log_failure(claim, outcome)
        bar.record(claim, outcome)

    fn = Uncaught(run.fn, run.catch)
    fn.workers = workers = [
        Worker(
            held,
            {run.objective: spec},
            evaluator=InProcess({run.objective: fn}),
            name=f"{default_worker_name()}:python" + (f"/{i}" if run.n_jobs > 1 else ""),
            on_result=on_result,
        )
        for i in range(run.n_jobs)
    ]
    quota = Quota(run.n_trials)
    deadline = None if run.timeout is None else time.monotonic() + run.timeout
    pool = Pool(workers, quota, deadline) if len(workers) > 1 else None
    try:
        with bar:
            if pool is not None:
                done = pool.run()
            else:
                try:
                    done = drive(workers[0], quota, deadline)
                finally:
                    close(workers[0])
        if fn.raised:
            raise fn.raised[0]
        return done
    except BaseException:
        for worker in workers:
            worker.stop_event.set()
        held.give_back()
        raise
    finally:
        if pool is None or not pool.alive():  # else the last thread still uses it
            backend.close()


def drive(worker: Worker, quota: Quota, deadline: float | None) -> int:
    """The loop of one worker: one trial at a time while there is budget and time; errors
    that may pass (the database busy, the server restarting) are waited out, as a worker
    does, and refusals raised."""
    done, delays = 0, backoff()
    while not worker.stop_event.is_set():
        if deadline is not None and time.monotonic() >= deadline:
            break
        if not quota.take():
            break
        try:
            claim = worker.run_once()
        except Exception as exc:
            quota.put_back()
            if not retryable(exc):  # refused for what it sends: waiting will not help
                raise HyperzoomError(f"cannot run trials: {exc}") from exc
            delay = next(delays)
            log.warning("cannot get a trial yet (%s); retrying in %.1f s", exc, delay)
            worker.stop_event.wait(delay)
            continue
        if claim is None:  # nothing left to run in this search
            quota.put_back()
            break
        delays = backoff()
        held = worker.backend
        if isinstance(held, Held) and not held.recorded(claim):
            quota.put_back()  # given up or stopped: it waits, and is not one of ours
            continue
        done += 1
    return done


class Pool:
    """One thread per worker; the calling thread only waits, in short joins, so that Ctrl-C
    reaches it. The first error stops every worker and is raised once all have stopped."""

    def __init__(self, workers: list[Worker], quota: Quota, deadline: float | None) -> None:
        self.workers, self.quota, self.deadline = workers, quota, deadline
        self.counts = [0] * len(workers)
        self.errors: list[BaseException] = []
        self.threads = [
            threading.Thread(target=self._drive, args=(i,), name=f"hyperzoom-optimize-{i}")
            for i in range(len(workers))
        ]
        for thread in self.threads:
            thread.daemon = True  # a function that never returns must not keep Python alive

    def run(self) -> int:
        for thread in self.threads:
            thread.start()
        for thread in self.threads:
            while thread.is_alive():
                thread.join(0.1)
        if self.errors:
            raise self.errors[0]
        return sum(self.counts)

    def alive(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def _drive(self, i: int) -> None:
        try:
            self.counts[i] = drive(self.workers[i], self.quota, self.deadline)
        except BaseException as exc:
            self.errors.append(exc)
            for worker in self.workers:
                worker.stop_event.set()
        finally:
            close(self.workers[i])


def close(worker: Worker) -> None:
    """End a worker's heartbeat thread and evaluator (as `Worker.run` does on its way out)."""
    worker.heartbeat.close()
    worker.evaluator.close()


def describe(outcome: Outcome) -> str:
    """The last line of a failed trial's error, for the log."""
    lines = (outcome.error or "").strip().splitlines()
    return lines[-1] if lines else "no reason given"


def log_failure(claim: Claim, outcome: Outcome) -> None:
    """Say in the log why a trial failed (the trial keeps the whole traceback)."""
    if outcome.state is TrialState.FAILED:
        log.warning(
            "trial %s of search %s failed: %s", claim.number, claim.search_id, describe(outcome)
        )
