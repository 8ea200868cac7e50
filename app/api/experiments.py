"""/api/experiments: create, list, read, rename, annotate (a note) and delete experiments;
their trials, learning curves and search tree; new root searches. (Export and import are in
`exchange`.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api import columns_binary
from app.api.deps import Authorized, DefaultPolicy, ObjectivesDep
from app.api.errors import ERRORS, WRITE_ERRORS, FieldError, documented, located
from app.api.schemas import (
    ExperimentCreate,
    ExperimentRead,
    ExperimentSummary,
    NoteBody,
    SearchCreate,
    SearchRead,
    Space,
    TrialColumns,
    TrialRead,
    space_json,
)
from app.api.trial_filters import Filters, filtered_trials, trial_page
from app.api.views import experiment_read, experiment_summary, search_reads, trial_columns
from app.core.metrics import check_metrics
from app.core.space import SearchSpace
from app.serving import MAX_ID, ExperimentId, SessionDep
from app.store import experiments, notes
from app.store.column_cache import columns_since
from app.store.models import Direction
from app.store.trial_reads import cursor_floor, intermediate_values_of, trial_column_batches
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
    """Create an experiment and its root search; workers start on it at once. With `metrics`
    (several objectives) the first metric is each trial's `value`, which best values, zoom,
    pruning and suggested regions optimise; `GET .../pareto` gives the front over them all."""
    spec = objectives.get(body.objective)
    if spec is None:
        known = ", ".join(sorted(objectives))
        raise FieldError(
            ["body", "objective"],
            f"{body.objective!r} is not a registered objective (registered: {known}); "
            "register yours with `hyperzoom serve --objective package.module:function`",
        )
    with located("body", "space"):
        space = SearchSpace.from_dict(space_json(body.space) if body.space else spec.space)
        spec.check_takes(space.names)
    metrics = None
    if body.metrics is not None:
        with located("body", "metrics"):
            metrics = check_metrics([m.model_dump(exclude_none=True) for m in body.metrics])
        if body.direction is not None and body.direction.value != metrics[0]["direction"]:
            raise FieldError(
                ["body", "direction"],
                f"is {body.direction.value} but the first metric, {metrics[0]['name']!r}, is to "
                f"{metrics[0]['direction']}: the first metric is the value (leave direction out)",
            )
    with located("body", "search"):
        experiment, _ = experiments.create_experiment(
            session,
            name=body.name,
            objective=body.objective,
            direction=body.direction or Direction(spec.direction),
            space=space,
            policy=body.search.policy(policy),
            settings=body.search.settings(),
            note=body.note,
            search_note=body.search.note,
            metrics=metrics,
        )
    session.refresh(experiment)
    return experiment_read(session, experiment)


@router.get("", response_model=list[ExperimentSummary])
def list_experiments(session: SessionDep) -> list[ExperimentSummary]:
    """Every experiment, newest first, with progress and best value."""
    return [experiment_summary(session, e) for e in experiments.list_experiments(session)]


@router.get("/{experiment_id}", response_model=ExperimentRead, responses=ERRORS)
def get_experiment(experiment_id: ExperimentId, session: SessionDep) -> ExperimentRead:
    """One experiment with its space and its searches."""
    return experiment_read(session, experiments.get_experiment(session, experiment_id))


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
    experiments.get_experiment(session, experiment_id)
    trials = filtered_trials(session, filters, experiment_id=experiment_id)
    return trial_page(request, response, filters, trials)


@router.get(
    "/{experiment_id}/trials/columns",
    response_model=TrialColumns,
    responses={**ERRORS, 200: columns_binary.OPENAPI},
)
def experiment_trial_columns(
    experiment_id: ExperimentId, session: SessionDep, request: Request, since: Since = 0
) -> TrialColumns | Response:
    """Trials as columns for plotting; pass the returned `cursor` as `since` to get changes
    (a cursor that moved with no trials: the experiment or its tree changed; one that did not
    move: nothing did). With `Accept: application/vnd.hyperzoom.columns` the same columns as
    typed arrays (the page's way: no JSON to build or parse, nor a Python object per trial
    held; see columns_binary)."""
    experiments.get_experiment(session, experiment_id)
    if columns_binary.wants_binary(request.headers.get("accept")):
        with columns_since(session, experiment_id, since) as kept:  # the kept columns
            if kept is not None:
                return columns_binary.response(columns_binary.pack_selection(kept))
        floor = cursor_floor(session, experiment_id, since)  # before the trials are read
        packed = columns_binary.pack(trial_column_batches(session, experiment_id, since), floor)
        return columns_binary.response(packed)
    return trial_columns(read_columns(session, experiment_id, since))


class ExperimentRename(BaseModel):
    """A new name."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "v2"}]})

    name: Annotated[str, Field(min_length=1, max_length=200)]


class RootSearchCreate(SearchCreate):
    """A new search from scratch; `space` defaults to the experiment's."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"sampler": "sobol", "n_trials": 64, "seed": 7}]},
    )

    space: Space | None = None


class SearchNode(BaseModel):
    """A search and the searches refined from it."""

    search: SearchRead
    children: list[SearchNode]


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


@router.patch(
    "/{experiment_id}",
    response_model=ExperimentRead,
    dependencies=[Authorized],
    responses=WRITE_ERRORS,
)
def rename_experiment(
    experiment_id: ExperimentId, body: ExperimentRename, session: SessionDep
) -> ExperimentRead:
    """Rename an experiment."""
    return experiment_read(
        session, experiments.rename_experiment(session, experiment_id, body.name)
    )


@router.put(
    "/{experiment_id}/note",
    response_model=ExperimentRead,
    dependencies=[Authorized],
    responses=documented(401, 404, 422),
)
def set_experiment_note(
    experiment_id: ExperimentId, body: NoteBody, session: SessionDep
) -> ExperimentRead:
    """Replace the experiment's note (null or blank text clears it); the answer shows it."""
    return experiment_read(session, notes.set_experiment_note(session, experiment_id, body.note))


@router.delete(
    "/{experiment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Authorized],
    responses=WRITE_ERRORS,
)
def delete_experiment(
    experiment_id: ExperimentId,
    session: SessionDep,
    confirm: Annotated[
        str | None, Query(max_length=200, description="The experiment's name, to confirm.")
    ] = None,
) -> Response:
    """Delete an experiment with all its searches and trials (409 unless `confirm` is its name)."""
    experiments.delete_experiment(session, experiment_id, confirm)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{experiment_id}/searches",
    status_code=status.HTTP_201_CREATED,
    response_model=SearchRead,
    dependencies=[Authorized],
    responses=WRITE_ERRORS,
)
def create_root_search(
    experiment_id: ExperimentId,
    body: RootSearchCreate,
    session: SessionDep,
    policy: DefaultPolicy,
    objectives: ObjectivesDep,
) -> SearchRead:
    """Start a new search from scratch (a new root of the tree)."""
    with located("body", "space"):
        space = SearchSpace.from_dict(space_json(body.space)) if body.space else None
        if space is not None:
            spec = objectives.get(experiments.get_experiment(session, experiment_id).objective)
            if spec is not None:  # one no longer registered has nothing to check against
                spec.check_takes(space.names)
    search = experiments.add_root_search(
        session,
        experiment_id,
        space=space,
        policy=body.policy(policy),
        settings=body.settings(),
        note=body.note,
    )
    return search_reads(session, [search])[0]


@router.get("/{experiment_id}/tree", response_model=list[SearchNode], responses=ERRORS)
def search_tree(experiment_id: ExperimentId, session: SessionDep) -> list[SearchNode]:
    """The experiment's searches as a tree: coarse → fine → finer."""
    searches = search_reads(session, experiments.get_experiment(session, experiment_id).searches)
    children: dict[int | None, list[SearchRead]] = {}
    for s in searches:
        children.setdefault(s.parent_id, []).append(s)

    def node(s: SearchRead) -> SearchNode:
        return SearchNode(search=s, children=[node(c) for c in children.get(s.id, [])])

    return [node(s) for s in children.get(None, [])]


@router.get("/{experiment_id}/curves", response_model=Curves, responses=documented(404, 422))
def get_curves(experiment_id: ExperimentId, trial_id: TrialIds, session: SessionDep) -> Curves:
    """Learning curves of up to 200 trials in one request (the page's curves view)."""
    experiments.get_experiment(session, experiment_id)
    found = intermediate_values_of(session, experiment_id, set(trial_id))
    return Curves(
        curves=[
            Curve(trial_id=i, steps=[s for s, _ in pairs], values=[v for _, v in pairs])
            for i, pairs in found.items()
        ]
    )
