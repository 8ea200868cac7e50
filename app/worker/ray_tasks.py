"""Evaluations as Ray tasks, so a team's Ray cluster runs the trials with the resources each
needs (GPUs per trial); Ray does the scheduling, the worker only asks and tells.

Intermediate values travel while the task runs: each `trial.report` in the task goes through
a small async actor the worker owns (its mailbox) to the worker, which stores the value and
asks the pruner, and the answer goes back the same way, so median or ASHA pruning stops a trial
on the cluster as it does in the sandboxed child. A trial the worker gives up on (timeout, lost
heartbeat, stop) has its task cancelled with force.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from app.core.states import TrialState
from app.objectives import ObjectiveSpec
from app.worker.isolate import Cancelled, Report, run_objective
from app.worker.registry import ObjectiveError
from app.worker.trial import Outcome

log = logging.getLogger("hyperzoom.worker")
_WAIT = 0.2  # seconds between looks at cancellation and the deadline
_TAKE = 30.0  # seconds one call for the next report waits in the mailbox before answering None


class _Mailbox:
    """Carries each evaluation's reports to the worker and its answers back (a Ray actor, one
    per worker). Evaluations are numbered in order; a report of one the worker has closed is
    answered True at once, so a task left over from a cancelled trial stops rather than waits."""

    def __init__(self) -> None:
        self._queues: dict[int, asyncio.Queue[tuple[int, float, asyncio.Future[bool]] | None]] = {}
        self._asked: dict[int, asyncio.Future[bool]] = {}  # taken by the worker, not answered
        self._closed = -1  # every evaluation numbered up to this one is over

    def _queue(self, key: int) -> asyncio.Queue[tuple[int, float, asyncio.Future[bool]] | None]:
        return self._queues.setdefault(key, asyncio.Queue())

    async def report(self, key: int, step: int, value: float) -> bool:
        """From the task: wait for the worker's answer to this value."""
        if key <= self._closed:
            return True
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue(key).put_nowait((step, value, answer))
        return await answer

    async def take(self, key: int, timeout: float) -> tuple[int, float] | None:
        """From the worker: the next report of evaluation `key`, or None after `timeout` s or
        once the evaluation is closed."""
        if key <= self._closed:
            return None
        try:
            item = await asyncio.wait_for(self._queue(key).get(), timeout)
        except TimeoutError:
            return None
        if item is None:
            return None
        step, value, answer = item
        self._asked[key] = answer
        return step, value

    async def answer(self, key: int, stop: bool) -> None:
        """From the worker: whether the task should stop."""
        _settle(self._asked.pop(key, None), stop)

    async def close(self, key: int) -> None:
        """From the worker: evaluation `key` is over; a report still waiting is told to stop."""
        self._closed = max(self._closed, key)
        for k in [k for k in self._asked if k <= key]:
            _settle(self._asked.pop(k), True)
        for k in [k for k in self._queues if k <= key]:
            queue = self._queues.pop(k)
            while not queue.empty():
                item = queue.get_nowait()
                if item is not None:
                    _settle(item[2], True)
            queue.put_nowait(None)  # wakes a `take` still waiting on it


def _settle(answer: asyncio.Future[bool] | None, stop: bool) -> None:
    if answer is not None and not answer.done():
        answer.set_result(stop)


def _task(spec: ObjectiveSpec, params: dict[str, Any], mailbox: Any, key: int) -> Outcome:
    import ray

    def report(step: int, value: float) -> bool:
        try:
            return bool(ray.get(mailbox.report.remote(key, step, value)))
        except ray.exceptions.RayActorError:  # the worker is gone; Ray ends this task soon
            return False

    return run_objective(spec, params, report)


class RayEvaluator:
    """Dispatches each evaluation as one Ray task with the given resources."""

    def __init__(self, address: str, cpus_per_trial: float = 1, gpus_per_trial: float = 0) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ObjectiveError("--ray needs Ray: pip install 'hyperzoom[ray]'") from exc
        self._ray = ray
        self._started_here = not ray.is_initialized()
        if self._started_here:
            ray.init(
                address=None if address == "local" else address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        self._remote = ray.remote(num_cpus=cpus_per_trial, num_gpus=gpus_per_trial)(_task)
        self._mailbox = self._new_mailbox()
        self._key = 0

    def _new_mailbox(self) -> Any:
        """The actor, with no CPU (it only waits, and must not take a trial's slot), on this
        process's node when Ray can place it there: the worker talks to it most."""
        ray = self._ray
        options: dict[str, Any] = {"num_cpus": 0}
        try:
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            node = ray.get_runtime_context().get_node_id()
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node, soft=True)
        except Exception:  # a Ray Client connection has no node of its own: anywhere will do
            pass
        return ray.remote(_Mailbox).options(**options).remote()

    def evaluate(
        self,
        spec: ObjectiveSpec,
        params: dict[str, Any],
        report: Report,
        *,
        timeout: float | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> Outcome | None:
        """Submit the task and wait for it, answering its reports as they come and honouring
        the timeout and cancellation."""
        ray, mailbox = self._ray, self._mailbox
        self._key += 1
        key = self._key
        ref = self._remote.remote(spec, params, mailbox, key)
        deadline = None if timeout is None else time.monotonic() + timeout
        take, listening = None, True
        try:
            while True:
                if take is None and listening:
                    take = mailbox.take.remote(key, _TAKE)
                # The task first: once it is done, no report of it waits for an answer.
                waiting = [ref] if take is None else [ref, take]
                ready, _ = ray.wait(waiting, num_returns=1, timeout=_WAIT)
                if ref in ready:
                    return self._collect(ref)
                if take is not None and take in ready:
                    try:
                        item, take = ray.get(take), None
                    except ray.exceptions.RayActorError as exc:  # its node or process died
                        log.warning("lost the Ray mailbox (%s); this trial runs on unheard", exc)
                        take, listening = None, False
                        self._mailbox = self._new_mailbox()  # for the next trials
                        continue
                    if item is not None:
                        mailbox.answer.remote(key, bool(report(*item)))
                if cancelled():
                    ray.cancel(ref, force=True)
                    return None
                if deadline is not None and time.monotonic() > deadline:
                    ray.cancel(ref, force=True)
                    return Outcome(TrialState.FAILED, error=f"timed out after {timeout:g} s")
        except BaseException:  # Ctrl-C, or the report callable raised: leave no task behind
            ray.cancel(ref, force=True)
            raise
        finally:
            mailbox.close.remote(key)

    def _collect(self, ref: Any) -> Outcome:
        try:
            return self._ray.get(ref)
        except Exception as exc:  # the task's process died, or Ray lost the node
            return Outcome(TrialState.FAILED, error=f"the Ray task failed: {exc}")

    def close(self) -> None:
        """Leave a shared cluster alone; stop the local one we started."""
        self._ray.kill(self._mailbox)
        if self._started_here:
            self._ray.shutdown()
