"""Giving trials back: a stopping worker's release, and the reaper's recovery of trials whose
worker went silent. Same rules as the rest of the protocol (`trials`): no commits here, writes
first, rows locked in the order trial, search, experiment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from app.store.claims import ticket_digest
from app.store.clock import db_now
from app.store.models import IntermediateValue, Search, Trial, TrialState, utcnow
from app.store.results import count_finished
from app.store.statements import run, stamp
from app.store.tallies import moved


def release(session: Session, trial_id: int, ticket: str) -> bool:
    """Give a running trial back unfinished (its worker is stopping): it waits for another.

    The attempt moves on and the ticket is void; `lost` does not, so a release never uses up
    a retry. False (and nothing changes) unless the ticket holds the trial.
    """
    guard = [Trial.id == trial_id, Trial.ticket_digest == ticket_digest(ticket)]
    return _requeue(session, guard, error=None)


def _requeue(session: Session, guard: list[Any], *, error: str | None, lost: bool = False) -> bool:
    requeued = session.execute(
        update(Trial)
        .where(Trial.state == TrialState.RUNNING, *guard)
        .values(
            state=TrialState.WAITING,
            attempt=Trial.attempt + 1,
            lost=Trial.lost + (1 if lost else 0),
            worker=None,
            heartbeat_at=None,
            started_at=None,
            ticket_digest=None,
            error=error,
        )
        .returning(Trial.id, Trial.search_id, Trial.experiment_id)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if requeued is None:
        return False
    trial_id, search_id, experiment_id = requeued
    run(session, _COUNT_REQUEUED, search_id=search_id)
    session.execute(delete(IntermediateValue).where(IntermediateValue.trial_id == trial_id))
    stamp(session, trial_id, experiment_id)
    return True


# A running trial of the search waits again (lock order: after the trial, before the experiment).
_COUNT_REQUEUED = (
    update(Search)
    .where(Search.id == bindparam("search_id"))
    .values(**moved(TrialState.RUNNING, TrialState.WAITING))
)


def reap_stale(session: Session) -> list[int]:
    """Recover at most one running trial whose worker stopped heartbeating.

    Each search's own policy decides (its `heartbeat_timeout` and `max_retries`, set when it
    was made), judged on the database's clock: whichever process reaps, with whatever options
    or clock of its own, a healthy trial is never taken from its worker. A lost trial is
    retried (back to waiting, same number and params) while it has retries left, and failed
    with the reason otherwise. One trial per transaction keeps the lock order of `tell` (trial,
    search, experiment), so the reaper cannot deadlock with workers; callers loop until it
    returns nothing. The heartbeat is checked again in the update itself, so a trial whose
    heartbeat arrived meanwhile is left alone.
    """
    now = session.scalar(select(db_now()))
    timeouts = session.scalars(
        select(Search.heartbeat_timeout)
        .join(Trial, Trial.search_id == Search.id)
        .where(Trial.state == TrialState.RUNNING)
        .distinct()
    ).all()
    for timeout in sorted(timeouts):
        cutoff = now - timedelta(seconds=timeout)
        stale = session.execute(
            select(
                Trial.id,
                Trial.attempt,
                Trial.lost,
                Trial.worker,
                Trial.heartbeat_at,
                Search.max_retries,
            )
            .join(Search, Search.id == Trial.search_id)
            .where(
                Trial.state == TrialState.RUNNING,
                Trial.heartbeat_at < cutoff,
                Search.heartbeat_timeout == timeout,
            )
            .order_by(Trial.id)
            .limit(1)
        ).first()
        if stale is not None:
            return _recover(session, stale, timeout, cutoff)
    return []


def _recover(session: Session, stale: Any, timeout: float, cutoff: datetime) -> list[int]:
    trial_id, attempt, lost, worker, last, max_retries = stale
    reason = (
        f"worker {worker} was lost on attempt {attempt + 1}: no heartbeat for {timeout:g} s "
        f"(last at {last:%Y-%m-%d %H:%M:%S} UTC)"
    )
    guard = [Trial.id == trial_id, Trial.attempt == attempt, Trial.heartbeat_at < cutoff]
    if lost < max_retries:
        done = _requeue(session, guard, error=reason, lost=True)
    else:
        done = _fail_lost(session, guard, trial_id, reason)
    return [trial_id] if done else []


def _fail_lost(session: Session, guard: list[Any], trial_id: int, reason: str) -> bool:
    failed = session.execute(
        update(Trial)
        .where(Trial.state == TrialState.RUNNING, *guard)
        .values(
            state=TrialState.FAILED,
            lost=Trial.lost + 1,
            error=reason,
            finished_at=utcnow(),
            ticket_digest=None,
        )
        .returning(Trial.search_id, Trial.experiment_id)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if failed is None:
        return False  # its worker told the result, or heartbeat, after all
    count_finished(session, failed[0], TrialState.FAILED)
    stamp(session, trial_id, failed[1])
    return True
