"""Claiming work: ask (a waiting trial first, else the next trial of the newest search with
budget, sampled inside the reservation) and enqueue. Ask hands the claimant a random ticket
and keeps only its digest: report, heartbeat, tell and release must show it (`results`,
`recovery`), so a worker given up for dead can never overwrite or double-count the attempt that
replaced it, and nobody who merely reads a trial can keep its claim alive.

Every function takes a Session and never commits: one worker step is one transaction. Writes
come first, so a SQLite writer waits on the busy timeout instead of failing on a stale read
snapshot, and rows are locked in one order (trial, search, experiment): PostgreSQL transactions
cannot deadlock."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    Row,
    Select,
    Update,
    bindparam,
    case,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.core.samplers import Position, make_sampler, trial_rng
from app.core.space import parsed_space
from app.store.clock import db_now
from app.store.errors import Conflict, NotFound
from app.store.histories import history_of
from app.store.models import (
    DEFAULT_HEARTBEAT_TIMEOUT,
    Direction,
    Experiment,
    Search,
    SearchStatus,
    Trial,
    TrialState,
    utcnow,
)
from app.store.statements import bump_seq, run, stamp, status_literal
from app.store.tallies import moved

# Searches that hand out trials.
ACTIVE = (SearchStatus.QUEUED, SearchStatus.RUNNING)
# How often one ask chooses a search again after losing a race for its last trial.
_CANDIDATES = 8


@dataclass(frozen=True)
class Claim:
    """A trial a worker now owns: what to evaluate and how to report it."""

    trial_id: int
    attempt: int
    # The holder's proof of the claim; the database keeps only its digest.
    ticket: str
    search_id: int
    number: int
    objective: str
    direction: Direction
    params: dict[str, Any]
    pruned_by: str | None = None
    # The search's: the worker beats at least four times within it.
    heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT
    # The key of the value when the objective returns a dict: the experiment's first declared
    # metric (several objectives), else None and the objective's own choice.
    metric: str | None = None


def ticket_digest(ticket: str) -> str:
    """What the database keeps of a ticket (a leaked database or backup holds no live ticket)."""
    return hashlib.sha256(ticket.encode("utf-8", "surrogatepass")).hexdigest()


def _new_ticket() -> tuple[str, str]:
    ticket = secrets.token_urlsafe(24)
    return ticket, ticket_digest(ticket)


# Which trials an ask may take: (only the `objectives` list?, only the search `search_id`?).
Scope = tuple[bool, bool]
_SCOPES: tuple[Scope, ...] = ((False, False), (False, True), (True, False), (True, True))


def _scoped(query: Select[Any]) -> dict[Scope, Select[Any]]:
    """The query for each scope: any objective or the `objectives` list, any search or the
    search `search_id` (the Python API runs one search's trials, whatever else is open)."""
    named = Experiment.objective.in_(bindparam("objectives", expanding=True))
    one = Search.id == bindparam("search_id")
    return {
        (by_name, by_search): query.where(
            *([named] if by_name else []), *([one] if by_search else [])
        )
        for by_name, by_search in _SCOPES
    }


_WAITING = _scoped(
    select(Trial.id)
    .join(Search, Trial.search_id == Search.id)
    .join(Experiment, Trial.experiment_id == Experiment.id)
    .where(Trial.state == TrialState.WAITING, Search.status.in_(ACTIVE))
    .order_by(Trial.id)
    .limit(1)
)


# The newest search with budget left (in each scope).
_NEWEST_OPEN = _scoped(
    select(Search.id)
    .join(Experiment)
    .where(Search.status.in_(ACTIVE), Search.n_asked < Search.n_trials)
    .order_by(Search.id.desc())
    .limit(1)
)


def ask(
    session: Session,
    *,
    objectives: Collection[str] | None,
    worker: str,
    search_id: int | None = None,
) -> Claim | None:
    """Claim a waiting trial, or the next trial of a search with budget left.

    Waiting trials (retries, hand-picked configurations) go first; then the newest searches,
    so a search the user just refined starts at once. Returns None when nothing is left for
    these objectives (any objective, when None) in the search `search_id` (any, when None).
    """
    scope = (objectives is not None, search_id is not None)
    given: dict[str, Any] = {}
    if objectives is not None:
        given["objectives"] = list(objectives)
    if search_id is not None:
        given["search_id"] = search_id
    claim = _claim_waiting(session, scope, given, worker)
    if claim is not None:
        return claim
    # The search is chosen inside the reservation's own UPDATE. On PostgreSQL a concurrent
    # worker may take a search's last trial between the choice and the update, which then
    # reserves nothing: choose again.
    for _ in range(_CANDIDATES):
        search = run(session, _RESERVE_NEWEST[scope], **given).one_or_none()
        if search is None:
            if run(session, _NEWEST_OPEN[scope], **given).first() is None:
                return None
            continue
        return _claim_next(session, search, worker)
    return None


_TAKE_WAITING = (
    update(Trial)
    .where(Trial.id == bindparam("trial_id"), Trial.state == TrialState.WAITING)
    .values(
        state=TrialState.RUNNING,
        worker=bindparam("worker_name"),
        started_at=bindparam("now"),
        heartbeat_at=db_now(),
        ticket_digest=bindparam("digest"),
    )
    .returning(Trial.search_id, Trial.experiment_id, Trial.number, Trial.attempt, Trial.params)
)


def _claim_waiting(
    session: Session, scope: Scope, given: dict[str, Any], worker: str
) -> Claim | None:
    for _ in range(3):  # another worker may take the same row between select and update
        trial_id = run(session, _WAITING[scope], **given).scalar()
        if trial_id is None:
            return None
        ticket, digest = _new_ticket()
        claimed = run(
            session,
            _TAKE_WAITING,
            trial_id=trial_id,
            worker_name=worker,
            now=utcnow(),
            digest=digest,
        ).one_or_none()
        if claimed is not None:
            pruner, timeout = run(session, _MARK_RUNNING, search_id=claimed.search_id).one()
            objective, direction, metric = stamp(session, trial_id, claimed.experiment_id)
            return Claim(
                trial_id,
                claimed.attempt,
                ticket,
                claimed.search_id,
                claimed.number,
                objective,
                direction,
                dict(claimed.params),
                _pruner_type(pruner),
                timeout,
                metric,
            )
    return None


# A queued search becomes running and counts the claimed trial as running, no longer
# waiting; returns its pruner settings and heartbeat timeout.
_MARK_RUNNING = (
    update(Search)
    .where(Search.id == bindparam("search_id"))
    .values(
        status=case(
            (Search.status == SearchStatus.QUEUED, status_literal(SearchStatus.RUNNING)),
            else_=Search.status,
        ),
        **moved(TrialState.WAITING, TrialState.RUNNING),
    )
    .returning(Search.pruner, Search.heartbeat_timeout)
)


def _claim_next(session: Session, search: Row[Any], worker: str) -> Claim:
    """Sample the trial a reservation took and insert it."""
    number = search.n_asked - 1
    seq, objective, direction, metric = bump_seq(session, search.experiment_id)
    params = sample(session, search, number, direction)
    now = utcnow()
    ticket, digest = _new_ticket()
    trial_id = run(
        session,
        _INSERT_TRIAL,
        experiment_id=search.experiment_id,
        search_id=search.id,
        number=number,
        state=TrialState.RUNNING,
        params=params,
        worker=worker,
        attempt=0,
        lost=0,
        started_at=now,
        seq=seq,
        ticket_digest=digest,
    ).scalar_one()
    return Claim(
        trial_id,
        0,
        ticket,
        search.id,
        number,
        objective,
        direction,
        params,
        _pruner_type(search.pruner),
        search.heartbeat_timeout,
        metric,
    )


_INSERT_TRIAL = insert(Trial).values(heartbeat_at=db_now()).returning(Trial.id)


# Take the next trial number of a search, only while budget remains: one atomic statement,
# which also counts the trial about to be inserted in `state`. It returns what sampling needs
# (`n_asked` is the number taken plus one), so the search is never read apart from its
# reservation.
def _reservation(which: Any, state: TrialState) -> Update:
    return (
        update(Search)
        .where(Search.id == which, Search.n_asked < Search.n_trials, Search.status.in_(ACTIVE))
        .values(n_asked=Search.n_asked + 1, status=SearchStatus.RUNNING, **moved(None, state))
        .returning(
            Search.id,
            Search.n_asked,
            Search.experiment_id,
            Search.parent_id,
            Search.space,
            Search.sampler,
            Search.sampler_options,
            Search.seed,
            Search.n_trials,
            Search.pruner,
            Search.heartbeat_timeout,
        )
    )


# Enqueue's: the trial it adds waits.
_RESERVE = _reservation(bindparam("search_id"), TrialState.WAITING)


# Ask's, for a trial that runs at once: the newest open search, chosen in the same statement
# (in each scope).
_RESERVE_NEWEST = {
    scope: _reservation(query.scalar_subquery(), TrialState.RUNNING)
    for scope, query in _NEWEST_OPEN.items()
}


def _reserve(session: Session, search_id: int) -> Row[Any] | None:
    return run(session, _RESERVE, search_id=search_id).one_or_none()


class SearchFields(Protocol):
    """What sampling reads of a search: a `Search`, or a row returned by its reservation."""

    id: int
    experiment_id: int
    parent_id: int | None
    space: dict[str, Any]
    sampler: str
    sampler_options: dict[str, Any] | None
    seed: int
    n_trials: int


def sample(
    session: Session, search: SearchFields, number: int, direction: Direction
) -> dict[str, Any]:
    """The configuration of trial `number` of `search`, from its sampler."""
    # Parsed once per search and content, not per ask (50,000 choices took 9 s to parse).
    space = parsed_space(search.id, search.space)
    sampler = make_sampler(search.sampler, search.sampler_options)
    position = Position(seed=search.seed, number=number, budget=search.n_trials)
    rng = trial_rng(search.seed, number)
    if not sampler.needs_history:
        return sampler.suggest(space, [], rng, 1, position=position, direction=direction.value)[0]
    # The history is kept between asks and caught up with what changed (histories.py).
    with history_of(session, search.id, search.experiment_id, space, direction) as history:
        return sampler.suggest(
            space, history, rng, 1, position=position, direction=direction.value
        )[0]


def _pruner_type(pruner: dict[str, Any] | None) -> str | None:
    return (pruner or {}).get("type")


def enqueue(session: Session, search_id: int, params: dict[str, Any]) -> Trial:
    """Add a hand-picked configuration to a search as a waiting trial (it spends budget)."""
    search = session.get(Search, search_id, populate_existing=True)
    if search is None:
        raise NotFound("search", search_id)
    search.search_space.validate_params(params)
    reserved = _reserve(session, search_id)
    if reserved is None:
        raise Conflict(f"search {search_id} has no budget left for another trial")
    trial = Trial(
        experiment_id=search.experiment_id,
        search_id=search_id,
        number=reserved.n_asked - 1,
        state=TrialState.WAITING,
        params=params,
        attempt=0,
        started_at=None,
        seq=bump_seq(session, search.experiment_id)[0],
    )
    session.add(trial)
    session.flush()
    return trial
