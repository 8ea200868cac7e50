"""The worker protocol on the database: ask for a trial, tell its result; and trial listings.

Every function takes a Session and never commits: one worker step is one transaction. Writes
come first in each transaction, so a SQLite writer waits on the busy timeout instead of failing
on a stale read snapshot, and rows are locked in one order (the trial, its search, its
experiment) so PostgreSQL transactions cannot deadlock.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from app.core.samplers import make_sampler, trial_rng
from app.core.space import SearchSpace
from app.store.errors import Conflict, NotFound
from app.store.models import Direction, Experiment, Search, SearchStatus, Trial, TrialState, utcnow

# How many candidate searches one ask looks at before giving up on this round.
_CANDIDATES = 8


@dataclass(frozen=True)
class Claim:
    """A trial a worker now owns: what to evaluate and how to report it."""

    trial_id: int
    search_id: int
    number: int
    objective: str
    direction: Direction
    params: dict[str, Any]


def ask(session: Session, *, objectives: Collection[str] | None, worker: str) -> Claim | None:
    """Claim the next trial of a search with budget left, sample its params, store it running.

    The newest searches go first, so a search the user just refined starts at once. Returns
    None when no search of the given objectives (any, when None) has budget left.
    """
    query = (
        select(Search.id)
        .join(Experiment)
        .where(
            Search.status.in_([SearchStatus.QUEUED, SearchStatus.RUNNING]),
            Search.n_asked < Search.n_trials,
        )
        .order_by(Search.id.desc())
        .limit(_CANDIDATES)
    )
    if objectives is not None:
        query = query.where(Experiment.objective.in_(list(objectives)))
    for search_id in session.scalars(query).all():
        number = _claim_number(session, search_id)
        if number is not None:
            return _start_trial(session, search_id, number, worker)
    return None


def _claim_number(session: Session, search_id: int) -> int | None:
    # One atomic statement: it reserves a trial number only while budget remains.
    claimed = session.execute(
        update(Search)
        .where(
            Search.id == search_id,
            Search.n_asked < Search.n_trials,
            Search.status.in_([SearchStatus.QUEUED, SearchStatus.RUNNING]),
        )
        .values(n_asked=Search.n_asked + 1, status=SearchStatus.RUNNING)
        .returning(Search.n_asked)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return None if claimed is None else claimed - 1


def _start_trial(session: Session, search_id: int, number: int, worker: str) -> Claim:
    search = session.get_one(Search, search_id, populate_existing=True)
    experiment = session.get_one(Experiment, search.experiment_id)
    space = SearchSpace.from_dict(search.space)
    sampler = make_sampler(search.sampler)
    history = _history(session, search_id) if sampler.needs_history else []
    params = sampler.suggest(space, history, trial_rng(search.seed, number), 1)[0]
    trial = Trial(
        experiment_id=experiment.id,
        search_id=search_id,
        number=number,
        state=TrialState.RUNNING,
        params=params,
        worker=worker,
        seq=_bump_seq(session, experiment.id),
    )
    session.add(trial)
    session.flush()
    return Claim(trial.id, search_id, number, experiment.objective, experiment.direction, params)


def _bump_seq(session: Session, experiment_id: int) -> int:
    return session.execute(
        update(Experiment)
        .where(Experiment.id == experiment_id)
        .values(seq=Experiment.seq + 1)
        .returning(Experiment.seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _history(session: Session, search_id: int) -> list[tuple[dict[str, Any], float | None]]:
    rows = session.execute(
        select(Trial.params, Trial.value).where(
            Trial.search_id == search_id, Trial.state == TrialState.COMPLETE
        )
    )
    return [(params, value) for params, value in rows]


def tell(
    session: Session,
    trial_id: int,
    *,
    state: TrialState,
    value: float | None = None,
    error: str | None = None,
) -> Trial:
    """Record a running trial's result; a complete trial needs a finite value.

    Raises NotFound for an unknown trial and Conflict for one that is no longer running, so a
    result is never counted twice.
    """
    if state is TrialState.RUNNING:
        raise ValueError("a trial is told complete, failed or pruned, not running")
    if state is TrialState.COMPLETE and (value is None or not math.isfinite(value)):
        raise ValueError(f"a complete trial needs a finite value, got {value!r}")
    finished = session.execute(
        update(Trial)
        .where(Trial.id == trial_id, Trial.state == TrialState.RUNNING)
        .values(state=state, value=value, error=error, finished_at=utcnow())
        .returning(Trial.search_id, Trial.experiment_id)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if finished is None:
        if session.get(Trial, trial_id) is None:
            raise NotFound("trial", trial_id)
        raise Conflict(f"trial {trial_id} is not running; its result was already recorded")
    search_id, experiment_id = finished
    session.execute(
        update(Search)
        .where(Search.id == search_id)
        .values(n_finished=Search.n_finished + 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Search)
        .where(Search.id == search_id, Search.n_finished >= Search.n_trials)
        .values(status=SearchStatus.DONE)
        .execution_options(synchronize_session=False)
    )
    seq = _bump_seq(session, experiment_id)
    session.execute(
        update(Trial)
        .where(Trial.id == trial_id)
        .values(seq=seq)
        .execution_options(synchronize_session=False)
    )
    return session.get_one(Trial, trial_id, populate_existing=True)


def list_trials(
    session: Session,
    *,
    experiment_id: int | None = None,
    search_id: int | None = None,
    since: int = 0,
) -> Sequence[Trial]:
    """Trials of an experiment or a search that changed after `since`, in change order."""
    return session.scalars(_trials_query(experiment_id, search_id, since)).all()


def _trials_query(experiment_id: int | None, search_id: int | None, since: int) -> Select[Any]:
    query = select(Trial).where(Trial.seq > since).order_by(Trial.seq)
    if experiment_id is not None:
        query = query.where(Trial.experiment_id == experiment_id)
    if search_id is not None:
        query = query.where(Trial.search_id == search_id)
    return query
