"""The trade-off between an experiment's objectives: `GET /api/experiments/{id}/pareto`.

app/store/pareto.py reads the complete trials' metrics, app/core/pareto.py filters them; this
module only checks the request and shapes the answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.errors import ERRORS, FieldError
from app.api.schemas import MetricSpec
from app.core.pareto import pareto_front
from app.serving import MAX_ID, ExperimentId, SessionDep
from app.store import pareto as reads
from app.store.experiments import get_experiment
from app.store.searches import subtree_ids

router = APIRouter(tags=["experiments"])


class ParetoRead(BaseModel):
    """The non-dominated trials over the declared metrics, and the trials left out and why."""

    trial_ids: list[int] = Field(
        description="Complete, feasible trials no other complete feasible trial dominates (no "
        "worse on every metric and better on one), in id order; trials equal on every metric "
        "are all on the front."
    )
    infeasible_ids: list[int] = Field(
        description="Complete trials outside a metric's lower/upper bound."
    )
    missing_ids: list[int] = Field(
        description="Complete trials lacking a declared metric (or holding a non-number)."
    )
    metrics: list[MetricSpec] = Field(
        description='The declared metrics; one objective reads as one metric named "value", '
        "and its front is the best trials."
    )
    n_complete: int = Field(description="Complete trials considered.")


@router.get("/api/experiments/{experiment_id}/pareto", response_model=ParetoRead, responses=ERRORS)
def get_pareto(
    experiment_id: ExperimentId,
    session: SessionDep,
    search: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="Only this search and the searches refined from it."),
    ] = None,
) -> ParetoRead:
    """The Pareto front of the experiment's complete trials over its declared metrics (their
    directions respected), constraints applied first."""
    experiment = get_experiment(session, experiment_id)
    root = next((s for s in experiment.searches if s.id == search), None)
    if search is not None and root is None:
        raise FieldError(["query", "search"], f"search {search} is not in this experiment")
    metrics = reads.declared_metrics(experiment)
    ids, values = reads.metric_matrix(
        session,
        experiment_id,
        [m["name"] for m in metrics],
        None if root is None else subtree_ids(session, root),
    )
    front = pareto_front(
        values,
        [m["direction"] for m in metrics],
        [m.get("lower") for m in metrics],
        [m.get("upper") for m in metrics],
    )
    return ParetoRead(
        trial_ids=ids[front.front].tolist(),
        infeasible_ids=ids[front.infeasible].tolist(),
        missing_ids=ids[front.missing].tolist(),
        metrics=[MetricSpec.model_validate(m) for m in metrics],
        n_complete=len(ids),
    )
