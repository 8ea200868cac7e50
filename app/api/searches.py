"""/api/searches: read a search and its trials; refine it into a child search."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import Authorized, SessionDep
from app.api.errors import from_space_error
from app.api.experiments import ERRORS, Since
from app.api.schemas import RefineRequest, SearchRead, TrialRead
from app.api.views import search_reads, trial_read
from app.core.space import SpaceError
from app.store import experiments as store
from app.store.trials import list_trials

router = APIRouter(prefix="/api/searches", tags=["searches"])


@router.get("/{search_id}", response_model=SearchRead, responses=ERRORS)
def get_search(search_id: int, session: SessionDep) -> SearchRead:
    """One search with its space, region, budget, status and trial counts."""
    return search_reads(session, [store.get_search(session, search_id)])[0]


@router.get("/{search_id}/trials", response_model=list[TrialRead], responses=ERRORS)
def list_search_trials(search_id: int, session: SessionDep, since: Since = 0) -> list[TrialRead]:
    """The search's trials, in the order they last changed."""
    store.get_search(session, search_id)
    return [trial_read(t) for t in list_trials(session, search_id=search_id, since=since)]


@router.post(
    "/{search_id}/refine",
    status_code=status.HTTP_201_CREATED,
    response_model=SearchRead,
    dependencies=[Authorized],
    responses=ERRORS,
)
def refine_search(search_id: int, body: RefineRequest, session: SessionDep) -> SearchRead:
    """Start a child search over a region of this search's space (coarse → fine)."""
    try:
        child = store.refine_search(
            session,
            search_id,
            region=body.region,
            n_trials=body.n_trials,
            sampler=body.sampler,
            seed=body.seed,
        )
    except SpaceError as exc:
        prefix = ["body"] if exc.loc[:1] == ("sampler",) else ["body", "region"]
        raise from_space_error(prefix, exc) from exc
    return search_reads(session, [child])[0]
