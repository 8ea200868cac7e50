"""/api/searches: read a search and its trials; refine it into a child search."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status

from app.api.deps import Authorized, SessionDep
from app.api.errors import FieldError, documented, from_space_error
from app.api.experiments import ERRORS, WRITE_ERRORS, Filters, filtered_trials, trial_page
from app.api.schemas import RefineRequest, SearchId, SearchRead, SuggestedRegionRead, TrialRead
from app.api.views import search_reads, trial_read
from app.core.region import suggest_region
from app.core.space import SearchSpace, SpaceError
from app.store import experiments as store
from app.store.trials import enqueue

Fraction = Annotated[float, Query(gt=0, le=1, description="Share of trials that count as best.")]
Margin = Annotated[float, Query(ge=0, le=1, description="Widening per side, unit-cube units.")]

router = APIRouter(prefix="/api/searches", tags=["searches"])


@router.get("/{search_id}", response_model=SearchRead, responses=ERRORS)
def get_search(search_id: SearchId, session: SessionDep) -> SearchRead:
    """One search with its space, region, budget, status and trial counts."""
    return search_reads(session, [store.get_search(session, search_id)])[0]


@router.get("/{search_id}/trials", response_model=list[TrialRead], responses=ERRORS)
def list_search_trials(
    search_id: SearchId,
    session: SessionDep,
    request: Request,
    response: Response,
    filters: Filters,
) -> list[TrialRead]:
    """The search's trials, in the order they last changed (filters and pages as for an
    experiment's trials)."""
    store.get_search(session, search_id)
    return trial_page(
        request, response, filters, filtered_trials(session, filters, search_id=search_id)
    )


@router.post(
    "/{search_id}/refine",
    status_code=status.HTTP_201_CREATED,
    response_model=SearchRead,
    dependencies=[Authorized],
    responses=WRITE_ERRORS,
)
def refine_search(search_id: SearchId, body: RefineRequest, session: SessionDep) -> SearchRead:
    """Start a child search over a region of this search's space (coarse → fine)."""
    try:
        child = store.refine_search(
            session,
            search_id,
            region=body.region,
            n_trials=body.n_trials,
            sampler=body.sampler,
            sampler_options=body.options,
            pruner=body.pruner,
            seed=body.seed,
        )
    except SpaceError as exc:
        top_level = exc.loc[:1] in (("sampler",), ("options",), ("pruner",), ("n_trials",))
        raise from_space_error(["body"] if top_level else ["body", "region"], exc) from exc
    return search_reads(session, [child])[0]


@router.get(
    "/{search_id}/suggest-region",
    response_model=SuggestedRegionRead,
    responses=documented(404, 409, 422),
)
def suggest_search_region(
    search_id: SearchId, session: SessionDep, top_fraction: Fraction = 0.2, margin: Margin = 0.1
) -> SuggestedRegionRead:
    """The box around the best trials of this search and its refinements, for refine."""
    search = store.get_search(session, search_id)
    trials = store.finished_trials(session, store.subtree_ids(session, search))
    direction = search.experiment.direction.value
    try:
        found = suggest_region(
            SearchSpace.from_dict(search.space), trials, direction, top_fraction, margin
        )
    except SpaceError as exc:
        raise FieldError(["path", "search_id"], exc.problem, status=409) from exc
    edges = [
        {
            "param": e.param,
            "side": e.side,
            "message": f"the best trials sit at the {e.side} end of {e.param}: "
            "the optimum may lie outside this range",
        }
        for e in found.edges
    ]
    completed = sum(1 for _, v in trials if v is not None)
    return SuggestedRegionRead(region=found.region, edges=edges, n_trials=completed)


@router.post(
    "/{search_id}/trials",
    status_code=status.HTTP_201_CREATED,
    response_model=TrialRead,
    dependencies=[Authorized],
    responses=WRITE_ERRORS,
)
def enqueue_trial(
    search_id: SearchId,
    params: Annotated[
        dict[str, Any], Body(examples=[{"learning_rate_init": 0.003, "solver": "adam"}])
    ],
    session: SessionDep,
) -> TrialRead:
    """Add a hand-picked configuration to the search; a worker runs it next."""
    try:
        trial = enqueue(session, search_id, params)
    except SpaceError as exc:
        raise from_space_error(["body"], exc) from exc
    return trial_read(trial)
