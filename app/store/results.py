"""Recording what a claim's holder reports: intermediate values (which may prune), heartbeats and
the result. Same rules as `claims`: no commits, writes first, lock order trial, search,
experiment; a ticket that no longer holds the trial gets a Conflict, so nothing counts twice."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import (
    Float,
    Update,
    bindparam,
    case,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.core.pruners import make_pruner
from app.core.values import ValueProblem, check_json, check_text
from app.store.claims import ticket_digest
from app.store.clock import db_now
from app.store.errors import Conflict, NotFound
from app.store.models import (
    Experiment,
    IntermediateValue,
    Search,
    SearchStatus,
    Trial,
    TrialState,
    utcnow,
)
from app.store.statements import FINAL, run, stamp, status_literal
from app.store.tallies import improved, moved


def tell(
    session: Session,
    trial_id: int,
    *,
    ticket: str | None = None,
    state: TrialState,
    value: float | None = None,
    error: str | None = None,
    metrics: dict[str, Any] | None = None,
) -> None:
    """Record a running trial's result; a complete trial needs a finite value.

    Raises NotFound for an unknown trial and Conflict for one that is no longer running or is
    held by another ticket, so a result is never counted twice. Without a ticket (an operator
    or a test on the database), any running attempt is finished.
    """
    if state not in FINAL:
        raise ValueProblem(("state",), "a trial is told complete, failed or pruned")
    if state is TrialState.COMPLETE and (value is None or not math.isfinite(value)):
        raise ValueProblem(("value",), f"a complete trial needs a finite value, got {value!r}")
    check_result(error, metrics)
    if value is not None and not math.isfinite(value):
        value = None
    finished = run(
        session,
        _FINISH[ticket is not None],
        trial_id=trial_id,
        digest=None if ticket is None else ticket_digest(ticket),
        state=state,
        value=value,
        error=error,
        metrics=metrics,
        finished_at=utcnow(),
    ).one_or_none()
    if finished is None:
        _explain_refusal(session, trial_id)
    search_id, experiment_id = finished
    count_finished(session, search_id, state, value)
    stamp(session, trial_id, experiment_id)


def check_result(error: str | None, metrics: dict[str, Any] | None) -> None:
    """Raise ValueProblem (a ValueError naming the field) for a result no read could send
    back: the limits of app.core.values, the same for HTTP, database workers and import."""
    if error is not None:
        check_text(error, ("error",))
    if metrics is not None:
        if not isinstance(metrics, dict):
            raise ValueProblem(("metrics",), "must be a JSON object")
        check_json(metrics, ("metrics",))


def _finish(of_ticket: bool) -> Update:
    guard = [Trial.id == bindparam("trial_id"), Trial.state == TrialState.RUNNING]
    if of_ticket:
        guard.append(Trial.ticket_digest == bindparam("digest"))
    return (
        update(Trial)
        .where(*guard)
        .values(
            state=bindparam("state"),
            value=bindparam("value"),
            error=bindparam("error"),
            metrics=bindparam("metrics"),
            finished_at=bindparam("finished_at"),
            ticket_digest=None,
        )
        .returning(Trial.search_id, Trial.experiment_id)
    )


# Any running attempt (False), or only the one the ticket holds (True).
_FINISH = {False: _finish(False), True: _finish(True)}


def _explain_refusal(session: Session, trial_id: int) -> None:
    trial = session.get(Trial, trial_id, populate_existing=True)
    if trial is None:
        raise NotFound("trial", trial_id)
    raise Conflict(
        f"trial {trial_id} is {trial.state.value} (attempt {trial.attempt}); "
        "this ticket does not hold its current attempt (it was given up, finished or never "
        "yours): the result belongs to an attempt that is no longer current"
    )


def _count_finished(state: TrialState) -> Update:
    # One statement: the right-hand side sees the row before the update.
    best = improved(bindparam("value", type_=Float)) if state is TrialState.COMPLETE else {}
    return (
        update(Search)
        .where(Search.id == bindparam("search_id"))
        .values(
            n_finished=Search.n_finished + 1,
            status=case(
                (Search.n_finished + 1 >= Search.n_trials, status_literal(SearchStatus.DONE)),
                else_=Search.status,
            ),
            **moved(TrialState.RUNNING, state),
            **best,
        )
    )


# By the state the running trial ended in.
_COUNT_FINISHED = {state: _count_finished(state) for state in FINAL}


def count_finished(
    session: Session, search_id: int, state: TrialState, value: float | None = None
) -> None:
    """Count a running trial of the search as finished in `state` (with `value`, when
    complete), in the transaction that finished it, and mark the search done at its budget."""
    run(session, _COUNT_FINISHED[state], search_id=search_id, value=value)


def heartbeat(session: Session, trial_id: int, ticket: str) -> bool:
    """Keep a running trial alive; False when it was given up (the worker should stop it)."""
    result = session.execute(
        update(Trial)
        .where(
            Trial.id == trial_id,
            Trial.state == TrialState.RUNNING,
            Trial.ticket_digest == ticket_digest(ticket),
        )
        .values(heartbeat_at=db_now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def report(session: Session, trial_id: int, ticket: str, step: int, value: float) -> bool:
    """Store an intermediate value (also a heartbeat); return whether the trial should stop."""
    if not math.isfinite(value):
        raise ValueProblem(("value",), f"an intermediate value must be finite, got {value!r}")
    if not heartbeat(session, trial_id, ticket):
        _explain_refusal(session, trial_id)
    trial = session.get_one(Trial, trial_id, populate_existing=True)
    session.execute(
        delete(IntermediateValue).where(
            IntermediateValue.trial_id == trial_id, IntermediateValue.step == step
        )
    )
    session.add(
        IntermediateValue(trial_id=trial_id, search_id=trial.search_id, step=step, value=value)
    )
    session.flush()
    search = session.get_one(Search, trial.search_id)
    pruner = make_pruner(search.pruner)
    if pruner is None:
        return False
    others = session.scalars(
        select(IntermediateValue.value).where(
            IntermediateValue.search_id == trial.search_id,
            IntermediateValue.step == step,
            IntermediateValue.trial_id != trial_id,
        )
    ).all()
    direction = session.get_one(Experiment, trial.experiment_id).direction.value
    return pruner.should_prune(step, value, list(others), direction)
