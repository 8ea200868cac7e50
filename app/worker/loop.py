"""The worker: ask for a trial, evaluate the objective, tell the result; repeat."""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from numbers import Real
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.objectives import ObjectiveSpec
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.trials import Claim, ask, tell
from app.worker.objectives import Objective, load

log = logging.getLogger("hyperzoom.worker")


def default_worker_name() -> str:
    """host:pid, enough to find the process that ran a trial."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Runs trials of the objectives it knows, one at a time, until told to stop."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        objectives: Mapping[str, ObjectiveSpec],
        *,
        name: str | None = None,
        functions: Mapping[str, Objective] | None = None,
        on_result: Callable[[Claim, TrialState, float | None], None] | None = None,
    ) -> None:
        self.factory = factory
        self.objectives = dict(objectives)
        self.name = name or default_worker_name()
        self._functions: dict[str, Objective] = dict(functions or {})
        self._on_result = on_result
        self.stop_event = threading.Event()

    def run_once(self) -> Claim | None:
        """Evaluate one trial if any search has budget left; return its claim, or None."""
        with session_scope(self.factory) as session:
            claim = ask(session, objectives=list(self.objectives), worker=self.name)
        if claim is None:
            return None
        state, value, error = self._evaluate(claim)
        with session_scope(self.factory) as session:
            tell(session, claim.trial_id, state=state, value=value, error=error)
        if self._on_result:
            self._on_result(claim, state, value)
        return claim

    def run(
        self, *, max_trials: int | None = None, idle_exit: float | None = None, poll: float = 0.5
    ) -> int:
        """Loop until stopped, `max_trials` are done, or nothing to do for `idle_exit` seconds."""
        done, idle_since = 0, time.monotonic()
        while not self.stop_event.is_set() and (max_trials is None or done < max_trials):
            if self.run_once() is not None:
                done, idle_since = done + 1, time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                break
            else:
                self.stop_event.wait(poll)
        return done

    def stop_on_signals(self) -> None:
        """Let SIGTERM finish the current trial and then stop the loop."""
        signal.signal(signal.SIGTERM, lambda *_: self.stop_event.set())

    def _function(self, objective: str) -> Objective:
        if objective not in self._functions:
            self._functions[objective] = load(self.objectives[objective].target)
        return self._functions[objective]

    def _evaluate(self, claim: Claim) -> tuple[TrialState, float | None, str | None]:
        try:
            result = self._function(claim.objective)(dict(claim.params))
        except KeyboardInterrupt:
            self.stop_event.set()
            return TrialState.FAILED, None, "the worker was interrupted during this trial"
        except Exception:
            log.warning("trial %s failed:\n%s", claim.trial_id, traceback.format_exc())
            return TrialState.FAILED, None, traceback.format_exc()
        return _check_value(result)


def _check_value(result: Any) -> tuple[TrialState, float | None, str | None]:
    if isinstance(result, bool) or not isinstance(result, Real):
        return TrialState.FAILED, None, f"the objective returned {result!r}, not a number"
    value = float(result)
    if not math.isfinite(value):
        return TrialState.FAILED, None, f"the objective returned {value}, not a finite number"
    return TrialState.COMPLETE, value, None
