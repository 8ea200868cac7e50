"""The server's reaper: recovers trials whose workers died, even when no worker is asking."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.store.db import session_scope
from app.store.recovery import reap_stale

log = logging.getLogger("hyperzoom.reaper")


class Reaper:
    """A daemon thread that calls `reap_stale` every half heartbeat timeout.

    Any number may run at once (one per `serve --workers` process, one per worker): a recovery
    is an UPDATE guarded by state, attempt and heartbeat, so only one of them wins each trial.
    """

    def __init__(self, factory: sessionmaker[Session], timeout: float, max_retries: int) -> None:
        self.factory, self.timeout, self.max_retries = factory, timeout, max_retries
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hyperzoom-reaper", daemon=True)

    def start(self) -> None:
        """Begin reaping in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread."""
        self._stop.set()
        self._thread.join(timeout=10)

    def reap_once(self) -> list[int]:
        """One pass; the ids of the recovered trials."""
        return reap_all(self.factory, self.timeout, self.max_retries)

    def _run(self) -> None:
        while not self._stop.wait(self.timeout / 2):
            try:
                for trial_id in self.reap_once():
                    log.warning("recovered trial %s: its worker stopped heartbeating", trial_id)
            except SQLAlchemyError as exc:  # the database may be down for a while; try again
                log.warning("reaper: %s", exc)


def reap_all(
    factory: sessionmaker[Session], timeout: float, max_retries: int, limit: int = 100
) -> list[int]:
    """Recover stale trials one transaction each (see `reap_stale`), at most `limit`."""
    recovered: list[int] = []
    while len(recovered) < limit:
        with session_scope(factory) as session:
            found = reap_stale(session, timeout=timeout, max_retries=max_retries)
        if not found:
            break
        recovered.extend(found)
    return recovered
