"""The history a sampler learns from, kept per search between asks and caught up by what changed.

Reading every finished trial of a search (and its ancestors) and encoding it on every ask made
an ask O(history) (issue 16). Here each process keeps a `TrialLog` per search and, at each ask,
reads only the trials whose `seq` passed the log's high-water mark: every trial write takes the
next value of its experiment's `seq` under the experiment row's lock, so the values committed
are always a prefix and "seq above the mark" is exactly what changed since the last look.

The log is checked, not trusted: it counts the finished trials it has read per search and
compares them with `searches.n_finished`, which every finish updates in the same transaction.
A mismatch (a database replaced under the process, a change this process could not see) reads
the whole history again, once.

An experiment with several metrics or bounds gets a `MetricLog`: each trial also carries its
declared metrics (the value first, the others from `Trial.metrics`), which Optuna's
multi-objective samplers read and by which zoom counts a trial breaking a bound as failed.
Any other experiment gets the plain log and reads no metrics, as before.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.cache import BoundedCache
from app.core.metric_log import MetricLog
from app.core.metrics import Objectives
from app.core.region import inside
from app.core.space import SearchSpace
from app.core.states import TrialState
from app.core.trial_log import TrialLog
from app.core.values import metric_number
from app.store.models import Direction, Experiment, Search, Trial
from app.store.statements import FINAL

# Trial numbers stay below this; the order key puts ancestors' trials first.
_NUMBERS = 1 << 32


@dataclass
class _Kept:
    """A search's log, what it has read, and the lock that one ask at a time holds on it."""

    log: TrialLog
    objectives: Objectives | None = None
    lineage: tuple[tuple[int, datetime | None], ...] = ()
    seq: int = -1  # below every trial's seq: the first read takes them all
    finished: dict[int, set[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# Bounded by memory: a log of 10,000 trials of ten parameters holds about 7 MB.
_KEPT: BoundedCache[_Kept] = BoundedCache(256 * 2**20, lambda kept: kept.log.nbytes())


@contextmanager
def history_of(
    session: Session,
    search_id: int,
    experiment_id: int,
    space: SearchSpace,
    direction: Direction,
) -> Iterator[TrialLog]:
    """The search's finished trials, ancestors' inside its space first (a warm start), as a
    log caught up with the database; held by this ask alone until the block ends."""
    key = (session.get_bind().url.render_as_string(), search_id, direction.value)
    objectives = _objectives(session, experiment_id)
    kept = _KEPT.get_or_make(
        key, lambda: _Kept(_new_log(space, direction.value, objectives), objectives)
    )
    with kept.lock:
        if kept.objectives != objectives or (
            kept.log.space is not space and kept.log.space != space
        ):
            kept.log, kept.objectives = _new_log(space, direction.value, objectives), objectives
            kept.seq, kept.finished, kept.lineage = -1, {}, ()
        # An equal space parsed again (the parsed-space cache dropped it) keeps the log and
        # the samplers' checkpoints in it; samplers know the log by its space object.
        kept.log.space = space
        try:
            _catch_up(session, kept, search_id, experiment_id)
        except BaseException:
            # Interrupted (Ctrl-C, a lost connection) after the mark or the counts moved but
            # before the rows were merged: the log would stay short for good. Start over.
            _reset(kept, ())
            raise
        yield kept.log
    _KEPT.put(key, kept)  # weigh it again: it grew


def _objectives(session: Session, experiment_id: int) -> Objectives | None:
    """What the samplers need of the experiment's metrics (None: the value alone)."""
    metrics = session.execute(
        select(Experiment.metrics).where(Experiment.id == experiment_id)
    ).scalar_one()
    return Objectives.of(metrics)


def _new_log(space: SearchSpace, direction: str, objectives: Objectives | None) -> TrialLog:
    if objectives is None:
        return TrialLog(space, direction)
    return MetricLog(space, direction, objectives)


def _catch_up(session: Session, kept: _Kept, search_id: int, experiment_id: int) -> None:
    lineage = _lineage(session, search_id)
    identity = tuple((sid, created) for sid, _, created in lineage)
    if identity != kept.lineage:
        _reset(kept, identity)
    _read_changes(session, kept, experiment_id)
    if any(len(kept.finished.get(sid, ())) != n for sid, n, _ in lineage):
        _reset(kept, identity)
        _read_changes(session, kept, experiment_id)


def _reset(kept: _Kept, identity: tuple[tuple[int, datetime | None], ...]) -> None:
    direction = "maximize" if kept.log.sign < 0 else "minimize"
    kept.log = _new_log(kept.log.space, direction, kept.objectives)
    kept.lineage, kept.seq, kept.finished = identity, -1, {}


def _lineage(session: Session, search_id: int) -> list[tuple[int, int, datetime | None]]:
    """(id, n_finished, created_at) of the root first, down to the search."""
    out: list[tuple[int, int, datetime | None]] = []
    current: int | None = search_id
    while current is not None:
        row = session.execute(
            select(Search.parent_id, Search.n_finished, Search.created_at).where(
                Search.id == current
            )
        ).one()
        out.append((current, row.n_finished, row.created_at))
        current = row.parent_id
    return out[::-1]


def _read_changes(session: Session, kept: _Kept, experiment_id: int) -> None:
    """Merge the lineage's trials written since the log's mark into it."""
    rank = {sid: i for i, (sid, _) in enumerate(kept.lineage)}
    own = kept.lineage[-1][0]
    space = kept.log.space
    objectives = kept.objectives
    rows: list[tuple[Any, ...]] = []
    gone: list[int] = []
    columns = [Trial.search_id, Trial.number, Trial.params, Trial.value, Trial.state, Trial.seq]
    changed = session.execute(
        select(*columns, *([Trial.metrics] if objectives else []))
        .where(
            Trial.experiment_id == experiment_id,
            Trial.seq > kept.seq,
            Trial.search_id.in_(list(rank)),
        )
        .order_by(Trial.seq)
    )
    for sid, number, params, value, state, seq, *metrics in changed:
        key = rank[sid] * _NUMBERS + number
        finished = kept.finished.setdefault(sid, set())
        kept.seq = max(kept.seq, seq)
        if state not in FINAL:
            finished.discard(number)
            gone.append(key)
            continue
        finished.add(number)
        if sid == own or inside(space, params):
            value = value if state is TrialState.COMPLETE else None
            if objectives is None:
                rows.append((key, params, value))
            else:
                rows.append((key, params, value, _vector(objectives, value, metrics[0])))
        else:
            gone.append(key)
    kept.log.merge(rows, gone)  # type: ignore[arg-type]


def _vector(
    objectives: Objectives, value: float | None, metrics: dict[str, Any] | None
) -> list[float]:
    """A trial's declared metrics: its value first, NaN where one is missing or not a number
    (a failed or pruned trial has none: it counts as failed)."""
    if value is None:
        return [math.nan] * len(objectives.names)
    found = metrics or {}
    return [value, *(metric_number(found.get(name)) for name in objectives.names[1:])]


def forget() -> None:
    """Drop every kept log (tests)."""
    _KEPT.clear()
