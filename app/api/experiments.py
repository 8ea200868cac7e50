"""/api/experiments: create, list and read experiments and all their trials."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.api.deps import Authorized, DefaultPolicy, ObjectivesDep
from app.api.errors import ERRORS, WRITE_ERRORS, FieldError, from_space_error
from app.api.schemas import (
    ExperimentCreate,
    ExperimentRead,
    ExperimentSummary,
    TrialColumns,
    TrialRead,
    space_json,
)
from app.api.trial_filters import Filters, filtered_trials, trial_page
from app.api.views import experiment_read, experiment_summary, trial_columns
from app.core.space import SearchSpace, SpaceError
from app.serving import ExperimentId, SessionDep
from app.store import experiments as store
from app.store.models import Direction
from app.store.trial_reads import trial_columns as read_columns

router = APIRouter(prefix="/api/experiments", tags=["experiments"])
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
