"""Learning curves of many trials at once, for the experiment page's curves view."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import Trial, TrialValue


def curves_of(
    session: Session, experiment_id: int, trial_ids: Collection[int]
) -> dict[int, list[tuple[int, float]]]:
    """Each asked-for trial of the experiment -> its (step, value) pairs in step order.

    One query for all of them (the page would otherwise fetch trial after trial). Trials of
    other experiments, and ids that do not exist, are left out; a trial without values maps
    to an empty list.
    """
    wanted = session.scalars(
        select(Trial.id).where(Trial.experiment_id == experiment_id, Trial.id.in_(trial_ids))
    ).all()
    curves: dict[int, list[tuple[int, float]]] = {trial_id: [] for trial_id in sorted(wanted)}
    if not curves:
        return curves
    rows = session.execute(
        select(TrialValue.trial_id, TrialValue.step, TrialValue.value)
        .where(TrialValue.trial_id.in_(list(curves)))
        .order_by(TrialValue.trial_id, TrialValue.step)
    )
    for trial_id, step, value in rows:
        curves[trial_id].append((step, value))
    return curves
