"""/api/trials/{id}: one trial with its learning curve, and a person's note on it."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import Authorized
from app.api.errors import ERRORS, documented
from app.api.schemas import NoteBody, TrialDetail, TrialRead
from app.api.views import trial_read
from app.serving import SessionDep, TrialId
from app.store import notes
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


@router.put(
    "/{trial_id}/note",
    response_model=TrialRead,
    dependencies=[Authorized],
    responses=documented(401, 404, 422),
)
def set_trial_note(trial_id: TrialId, body: NoteBody, session: SessionDep) -> TrialRead:
    """Replace the trial's note (null or blank text clears it). The trial takes a new `seq`,
    as for any change, so pages following `since` get it once more, note included."""
    return trial_read(notes.set_trial_note(session, trial_id, body.note))
