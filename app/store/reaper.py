"""The server's reaper: recovers trials whose workers died, even when no worker is asking."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.store.db import session_scope
from app.store.recovery import reap_stale

log = logging.getLogger("hyperzoom.reaper")


# Seconds between a reaper's passes: each search's own timeout decides what is lost, this only
# how soon after that it is noticed (a pass is two indexed queries when nothing is stale).
REAP_EVERY = 1.0


class Reaper:
    """A daemon thread that calls `reap_stale` every REAP_EVERY seconds.

    Any number may run at once (one per `serve --workers` process, one per worker): a recovery
    is an UPDATE guarded by state, attempt and heartbeat, so only one of them wins each trial.
    """

    def __init__(self, factory: sessionmaker[Session], every: float = REAP_EVERY) -> None:
        self.factory, self.every = factory, every
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
        return reap_all(self.factory)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                for trial_id in self.reap_once():
                    log.warning("recovered trial %s: its worker stopped heartbeating", trial_id)
            except SQLAlchemyError as exc:  # the database may be down for a while; try again
                log.warning("reaper: %s", exc)


def reap_all(factory: sessionmaker[Session], limit: int = 100) -> list[int]:
    """Recover stale trials one transaction each (see `reap_stale`), at most `limit`."""
    recovered: list[int] = []
    while len(recovered) < limit:
        with session_scope(factory) as session:
            found = reap_stale(session)
        if not found:
            break
        recovered.extend(found)
    return recovered
