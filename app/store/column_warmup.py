"""The kept columns of the largest recent experiments, built when the server starts.

The page's first read of an experiment after a server start builds its kept columns
(app/store/column_cache.py): 5.0 s at a million trials, SQLite turning every row into Python
objects and the params' JSON decoded per trial, against 0.2 s once kept (docs/benchmarks.md,
issue 18). A restarted server would make the first person to open a big experiment wait for
that. So the server builds them in a thread of its own as it starts: the experiments with at
least `WARM_MIN` trials (smaller ones read cold in a fraction of a second), newest first, while
their guessed size fits the cache's budget. A page read that comes while one is being built
waits on the same lock and then reads only what changed meanwhile: nothing is read twice.
`warm_columns = false` (HYPERZOOM_WARM_COLUMNS) turns it off.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session, sessionmaker

from app.core.states import TrialState
from app.store import column_cache
from app.store.models import Experiment, Search
from app.store.tallies import tally

log = logging.getLogger("hyperzoom.columns")

# Experiments with fewer trials are left to their first read: 100,000 read cold in 0.3 s.
WARM_MIN = 200_000
# A cursor past every change: the warm-up reads the columns and asks for none of them.
NONE = 2**62


def warm(
    factory: sessionmaker[Session], stop: threading.Event, min_trials: int | None = None
) -> list[int]:
    """Build the kept columns of the experiments with at least `min_trials` (`WARM_MIN`)
    trials, newest first, while their guessed size fits the budget; stop between experiments
    once `stop` is set. Return the ids built."""
    least = WARM_MIN if min_trials is None else min_trials
    trials = func.coalesce(func.sum(sum(tally(state) for state in TrialState)), 0)
    query = (
        select(Experiment.id, trials)
        .outerjoin(Search, Search.experiment_id == Experiment.id)
        .group_by(Experiment.id)
        .order_by(Experiment.id.desc())
    )
    with factory() as session:
        sizes = [(int(i), int(n)) for i, n in session.execute(query)]
        url = session.get_bind().url
    built: list[int] = []
    for experiment_id, n in sizes:
        if stop.is_set():
            break
        # Room as the cache weighs what it holds (tables are heavier than the guess with many
        # parameters, and page reads build beside this): a build that does not fit would push
        # out one built before it.
        room = column_cache.BUDGET - column_cache.kept_bytes()
        if n < least or n * column_cache.ROW_GUESS > room:
            continue
        try:
            with factory() as session, column_cache.columns_since(session, experiment_id, NONE):
                pass
        except NoResultFound:  # deleted since the list was read
            continue
        built.append(experiment_id)
    # What the cache kept: not one it refused (too many metrics, over the budget once read).
    return [i for i in built if column_cache.kept_table(url, i) is not None]


def start(factory: sessionmaker[Session], stop: threading.Event) -> threading.Thread:
    """`warm` in a daemon thread that logs what it built and never takes the server down."""

    def run() -> None:
        started = time.perf_counter()
        try:
            built = warm(factory, stop)
        except Exception:  # the first page read builds them instead
            log.exception("building the kept columns at start failed")
            return
        seconds = time.perf_counter() - started
        log.info("kept the columns of experiments %s in %.1f s", built, seconds)

    thread = threading.Thread(target=run, name="hyperzoom-warm-columns", daemon=True)
    thread.start()
    return thread
