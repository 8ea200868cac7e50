"""/api/experiments/{id}/curves: the learning curves of many trials in one request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.errors import documented
from app.serving import MAX_ID, ExperimentId, SessionDep
from app.store import experiments as store
from app.store.curves import curves_of

router = APIRouter(prefix="/api/experiments", tags=["trials"])
MAX_CURVES = 200
TrialIds = Annotated[
    list[Annotated[int, Field(ge=1, le=MAX_ID)]],
    Query(
        min_length=1,
        max_length=MAX_CURVES,
        description=f"The trials whose curves to send (repeat it; at most {MAX_CURVES}).",
    ),
]


class Curve(BaseModel):
    """One trial's intermediate values, as two columns in step order."""

    trial_id: int
    steps: list[int]
    values: list[float]


class Curves(BaseModel):
    """The asked-for trials of this experiment; ids of other experiments are left out."""

    curves: list[Curve]


@router.get("/{experiment_id}/curves", response_model=Curves, responses=documented(404, 422))
def get_curves(experiment_id: ExperimentId, trial_id: TrialIds, session: SessionDep) -> Curves:
    """Learning curves of up to 200 trials in one request (the page's curves view)."""
    store.get_experiment(session, experiment_id)
    found = curves_of(session, experiment_id, set(trial_id))
    return Curves(
        curves=[
            Curve(trial_id=i, steps=[s for s, _ in pairs], values=[v for _, v in pairs])
            for i, pairs in found.items()
        ]
    )
