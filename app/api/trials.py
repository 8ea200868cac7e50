"""/api/trials/{id}: one trial with its learning curve."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.errors import ERRORS
from app.api.schemas import TrialDetail
from app.api.views import trial_read
from app.serving import SessionDep, TrialId
from app.store.errors import NotFound
from app.store.models import Trial
from app.store.trial_reads import intermediate_values

router = APIRouter(prefix="/api/trials", tags=["trials"])


@router.get("/{trial_id}", response_model=TrialDetail, responses=ERRORS)
def get_trial(trial_id: TrialId, session: SessionDep) -> TrialDetail:
    """A trial with its params, result, metrics, error, timings and intermediate values."""
    trial = session.get(Trial, trial_id)
    if trial is None:
        raise NotFound("trial", trial_id)
    return TrialDetail(
        **trial_read(trial).model_dump(),
        intermediate_values=intermediate_values(session, trial_id),
    )
