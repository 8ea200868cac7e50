"""One heartbeat thread per worker that keeps its current trial alive.

Starting and joining a thread for every trial cost about as much as the sandbox round trip of a
no-op trial, so the thread lives as long as the worker and is pointed at each trial in turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from app.store.claims import Claim

log = logging.getLogger("hyperzoom.worker")
Beat = Callable[[Claim], bool]


class Heartbeat:
    """Beats `beat(claim)` every `interval` seconds while a trial is watched, or every quarter
    of the claim's search's heartbeat timeout when that is shorter.

    `watch` returns an event set when the server gave the trial up (beat returned False);
    `unwatch` returns only when no beat for that trial is in flight, so none lands after its
    result. A failed beat is logged and retried at the next interval: the timeout decides.
    """

    def __init__(self, beat: Beat, interval: float) -> None:
        self.beat, self.interval = beat, interval
        self._every = interval
        self._cond = threading.Condition()
        self._claim: Claim | None = None
        self._lost = threading.Event()
        self._due = 0.0
        self._beating = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def watch(self, claim: Claim) -> threading.Event:
        """Start beating for `claim` (the first beat one interval from now)."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self.run, name="hyperzoom-heartbeat", daemon=True
                )
                self._thread.start()
            self._claim, self._lost = claim, threading.Event()
            self._every = min(self.interval, max(claim.heartbeat_timeout / 4, 0.05))
            self._due = time.monotonic() + self._every
            self._cond.notify_all()
            return self._lost

    def unwatch(self) -> None:
        """Stop beating for the current trial; waits for a beat in flight."""
        with self._cond:
            self._claim = None
            self._cond.wait_for(lambda: not self._beating)

    def close(self) -> None:
        """End the thread (a later `watch` starts another)."""
        with self._cond:
            self._closed, self._claim = True, None
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
        self._thread, self._closed = None, False  # a later watch starts a new thread

    def run(self) -> None:
        while True:
            with self._cond:
                claim, lost = self._wait_until_due()
                if claim is None:
                    return
                self._beating = True
            try:
                if not self.beat(claim):
                    log.warning("trial %s was given up by the server; stopping it", claim.trial_id)
                    lost.set()
            except Exception as exc:  # a blip must not kill the trial; the timeout decides
                log.warning("heartbeat for trial %s failed: %s", claim.trial_id, exc)
            with self._cond:
                self._beating = False
                if lost.is_set() and self._claim is claim:
                    # Given up: every further beat would be refused (and logged) while a
                    # function that cannot be cancelled runs on.
                    self._claim = None
                self._due = time.monotonic() + self._every
                self._cond.notify_all()

    def _wait_until_due(self) -> tuple[Claim | None, threading.Event]:
        """Under the lock: the trial to beat now, or None once closed."""
        while not self._closed:
            if self._claim is None:
                self._cond.wait()
                continue
            remaining = self._due - time.monotonic()
            if remaining <= 0:
                return self._claim, self._lost
            self._cond.wait(remaining)
        return None, self._lost
