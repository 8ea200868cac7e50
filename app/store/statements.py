"""What the worker protocol's modules share: statements run as Core on the session's connection
(built once, with bound parameters: building a statement and the ORM's execution path each
cost more Python than SQLite spends on it, see docs/benchmarks.md), and the experiment's change
number (`seq`) that every trial change takes, so since-cursors see it; a change to what the
experiment or its tree shows without a trial (a new search, a stop, a note, a rename) takes one
too (`changed`), so that a page whose cursor did not move knows nothing changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Executable,
    Result,
    bindparam,
    literal,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.core.metrics import first_metric
from app.store.models import (
    Direction,
    Experiment,
    Search,
    SearchStatus,
    Trial,
    TrialState,
)

# The states a trial ends in.
FINAL = (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)


def run(session: Session, statement: Executable, **params: Any) -> Result[Any]:
    return session.connection().execute(statement, params)


def status_literal(status: SearchStatus) -> Any:
    """A status as a SQL literal of the column's type (inside CASE, where it is not inferred)."""
    return literal(status, Search.__table__.c.status.type)


_BUMP_SEQ = (
    update(Experiment)
    .where(Experiment.id == bindparam("experiment_id"))
    .values(seq=Experiment.seq + 1)
    .returning(Experiment.seq, Experiment.objective, Experiment.direction, Experiment.metrics)
)


_SET_SEQ = update(Trial).where(Trial.id == bindparam("trial_id")).values(seq=bindparam("new_seq"))


def bump_seq(session: Session, experiment_id: int) -> tuple[int, str, Direction, str | None]:
    """The experiment's next change number, with its objective, direction and the metric that
    is a trial's value (the first declared; None for one objective)."""
    seq, objective, direction, metrics = run(session, _BUMP_SEQ, experiment_id=experiment_id).one()
    return seq, objective, direction, first_metric(metrics)


def changed(session: Session, experiment_id: int) -> int:
    """A change to the experiment's row or to one of its searches that writes no trial (a new
    search, a stop or resume, a note, a rename) takes the experiment's next change number, in
    the caller's transaction: a read of the columns since a cursor then answers a cursor that
    moved with no trials, and the page reads the experiment and its tree again. Call it after
    the write to the search (rows are locked trial, search, experiment: see
    docs/architecture.md); the experiment row stays locked to commit, as for a trial write."""
    return bump_seq(session, experiment_id)[0]


def stamp(
    session: Session, trial_id: int, experiment_id: int
) -> tuple[str, Direction, str | None]:
    """Give a changed trial the experiment's next change number (for since-cursors)."""
    seq, objective, direction, metric = bump_seq(session, experiment_id)
    run(session, _SET_SEQ, trial_id=trial_id, new_seq=seq)
    # Every trial change ends here: a caller holding the trial in its session reloads it.
    loaded = session.identity_map.get(identity_key(Trial, trial_id))
    if loaded is not None:
        session.expire(loaded)
    return objective, direction, metric
