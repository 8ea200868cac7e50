"""/api/experiments: create, list and read experiments and all their trials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.api.deps import Authorized, DefaultPolicy, ObjectivesDep, SessionDep
from app.api.errors import FieldError, documented, from_space_error
from app.api.schemas import (
    ExperimentCreate,
    ExperimentId,
    ExperimentRead,
    ExperimentSummary,
    TrialColumns,
    TrialRead,
    space_json,
)
from app.api.views import experiment_read, experiment_summary, trial_columns, trial_read
from app.core.space import SearchSpace, SpaceError
from app.store import experiments as store
from app.store.models import Direction, Trial, TrialState
from app.store.trial_reads import trial_columns as read_columns
from app.store.trials import list_trials

router = APIRouter(prefix="/api/experiments", tags=["experiments"])
ERRORS = documented(404, 422)
WRITE_ERRORS = documented(401, 404, 409, 422)
Since = Annotated[
    int, Query(ge=0, le=2**63 - 1, description="Only trials changed after this cursor.")
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExperimentRead,
    dependencies=[Authorized],
    responses=WRITE_ERRORS,
)
def create_experiment(
    body: ExperimentCreate, session: SessionDep, objectives: ObjectivesDep, policy: DefaultPolicy
) -> ExperimentRead:
    """Create an experiment and its root search; workers start on it at once."""
    spec = objectives.get(body.objective)
    if spec is None:
        known = ", ".join(sorted(objectives))
        raise FieldError(
            ["body", "objective"],
            f"{body.objective!r} is not a registered objective (registered: {known}); "
            "register yours with `hyperzoom serve --objective package.module:function`",
        )
    try:
        space = SearchSpace.from_dict(space_json(body.space) if body.space else spec.space)
    except SpaceError as exc:
        raise from_space_error(["body", "space"], exc) from exc
    try:
        experiment, _ = store.create_experiment(
            session,
            name=body.name,
            objective=body.objective,
            direction=body.direction or Direction(spec.direction),
            space=space,
            sampler=body.search.sampler,
            sampler_options=body.search.options,
            pruner=body.search.pruner,
            n_trials=body.search.n_trials,
            seed=body.search.seed,
            policy=body.search.policy(policy),
        )
    except SpaceError as exc:
        raise from_space_error(["body", "search"], exc) from exc
    session.refresh(experiment)
    return experiment_read(session, experiment)


@router.get("", response_model=list[ExperimentSummary])
def list_experiments(session: SessionDep) -> list[ExperimentSummary]:
    """Every experiment, newest first, with progress and best value."""
    return [experiment_summary(session, e) for e in store.list_experiments(session)]


@router.get("/{experiment_id}", response_model=ExperimentRead, responses=ERRORS)
def get_experiment(experiment_id: ExperimentId, session: SessionDep) -> ExperimentRead:
    """One experiment with its space and its searches."""
    return experiment_read(session, store.get_experiment(session, experiment_id))


class TrialFilters(BaseModel):
    """Which trials to list, and one page of them."""

    model_config = ConfigDict(extra="forbid")

    since: int = Field(0, ge=0, le=2**63 - 1, description="Only trials changed after this cursor.")
    state: list[TrialState] | None = Field(None, description="Only trials in these states.")
    value_min: float | None = Field(None, allow_inf_nan=False)
    value_max: float | None = Field(None, allow_inf_nan=False)
    limit: int | None = Field(
        None, ge=1, le=100_000, description="Page size; a `Link: rel=next` header has the rest."
    )


Filters = Annotated[TrialFilters, Query()]


def trial_page(
    request: Request, response: Response, filters: TrialFilters, trials: Sequence[Trial]
) -> list[TrialRead]:
    """The page as rows, with a `Link` to the next page when it is full."""
    if filters.limit is not None and len(trials) == filters.limit:
        following = request.url.include_query_params(since=trials[-1].seq)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return [trial_read(t) for t in trials]


def filtered_trials(session: Session, filters: TrialFilters, **where: int) -> Sequence[Trial]:
    return list_trials(
        session,
        since=filters.since,
        states=filters.state,
        value_min=filters.value_min,
        value_max=filters.value_max,
        limit=filters.limit,
        **where,
    )


@router.get("/{experiment_id}/trials", response_model=list[TrialRead], responses=ERRORS)
def list_experiment_trials(
    experiment_id: ExperimentId,
    session: SessionDep,
    request: Request,
    response: Response,
    filters: Filters,
) -> list[TrialRead]:
    """Trials of every search of the experiment, in the order they last changed; filter by
    state and value, page with `limit` (the `Link` header points at the next page)."""
    store.get_experiment(session, experiment_id)
    trials = filtered_trials(session, filters, experiment_id=experiment_id)
    return trial_page(request, response, filters, trials)


@router.get("/{experiment_id}/trials/columns", response_model=TrialColumns, responses=ERRORS)
def experiment_trial_columns(
    experiment_id: ExperimentId, session: SessionDep, since: Since = 0
) -> TrialColumns:
    """Trials as columns for plotting; pass the returned `cursor` as `since` to get changes."""
    store.get_experiment(session, experiment_id)
    return trial_columns(read_columns(session, experiment_id, since))
