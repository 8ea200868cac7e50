"""/api/searches: read a search and its trials; refine it into a child search, suggest a
region, enqueue a configuration, stop and resume; keep a note on it (why this search)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.api.deps import Authorized
from app.api.errors import ERRORS, WRITE_ERRORS, FieldError, documented
from app.api.previews import RefinePreview, preview_read
from app.api.schemas import (
    NoteBody,
    RefineRequest,
    SearchRead,
    SuggestedRegionRead,
    TrialRead,
)
from app.api.trial_filters import Filters, filtered_trials, trial_page
from app.api.views import search_reads, suggested_region_read, trial_read
from app.core.preview import preview_refine
from app.core.region import suggest_region
from app.core.space import SpaceError
from app.serving import SearchId, SessionDep
from app.store import notes, refine_keys, searches
from app.store.claims import enqueue

Fraction = Annotated[float, Query(gt=0, le=1, description="Share of trials that count as best.")]
Margin = Annotated[float, Query(ge=0, le=1, description="Widening per side, unit-cube units.")]
KeepIncumbent = Annotated[
    bool,
    Query(
        description="Widen the box to keep the lineage's best trial inside this search's space "
        "(false: the box the best trials draw, which may leave it out; the answer says so)."
    ),
]

router = APIRouter(prefix="/api/searches", tags=["searches"])


@router.get("/{search_id}", response_model=SearchRead, responses=ERRORS)
def get_search(search_id: SearchId, session: SessionDep) -> SearchRead:
    """One search with its space, region, budget, status and trial counts."""
    return search_reads(session, [searches.get_search(session, search_id)])[0]


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
    searches.get_search(session, search_id)
    return trial_page(
        request, response, filters, filtered_trials(session, filters, search_id=search_id)
    )


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Any unique text; a refine retried with the same key returns the first "
        "answer instead of creating a second search.",
    ),
]


@router.post(
    "/{search_id}/refine",
    status_code=status.HTTP_201_CREATED,
    response_model=SearchRead,
    dependencies=[Authorized],
    responses={
        200: {"model": RefinePreview, "description": "With dry_run: what it would create."},
        **WRITE_ERRORS,
    },
)
def refine_search(
    search_id: SearchId,
    body: RefineRequest,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Start a child search over a region of this search's space (coarse → fine), or with
    dry_run preview it."""
    if body.dry_run:
        preview = preview_refine_of(session, search_id, body)
        return JSONResponse(preview.model_dump(mode="json"))
    if idempotency_key is None:
        return _refine(session, search_id, body)
    request = refine_keys.digest(search_id, body.model_dump(mode="json"))
    try:
        stored = refine_keys.replay(session, idempotency_key, request)
        if stored is None:
            refine_keys.claim(session, idempotency_key, request)
    except refine_keys.KeyReused as exc:
        raise FieldError(["header", "Idempotency-Key"], str(exc)) from exc
    except IntegrityError:  # a concurrent request with the same key got there first
        session.rollback()
        stored = refine_keys.replay(session, idempotency_key, request)
    if stored is not None:
        return JSONResponse(stored, status.HTTP_201_CREATED, {"Idempotent-Replayed": "true"})
    read = _refine(session, search_id, body)
    refine_keys.record(session, idempotency_key, read.id, read.model_dump(mode="json"))
    return read


def _refine(session: Session, search_id: int, body: RefineRequest) -> SearchRead:
    child = searches.refine_search(
        session,
        search_id,
        region=body.region,
        heartbeat_timeout=body.heartbeat_timeout,
        max_retries=body.max_retries,
        settings=body.settings(),
        note=body.note,
    )
    return search_reads(session, [child])[0]


def preview_refine_of(session: Session, search_id: int, body: RefineRequest) -> RefinePreview:
    """The dry run: the region as refine would take it, against the parent's subtree."""
    search = searches.get_search(session, search_id)
    trials = searches.trial_points(session, searches.subtree_ids(session, search))
    ancestors = searches.finished_trial_rows(session, searches.ancestor_ids(session, search))
    value_range = (body.value_range[0], body.value_range[1]) if body.value_range else None
    found = preview_refine(
        search.search_space,
        body.region,
        trials,
        search.experiment.direction.value,
        value_range,
        ancestors=[(p, v) for _, _, p, v in ancestors],
    )
    return preview_read(found)


@router.get(
    "/{search_id}/suggest-region",
    response_model=SuggestedRegionRead,
    responses=documented(404, 409, 422),
)
def suggest_search_region(
    search_id: SearchId,
    session: SessionDep,
    top_fraction: Fraction = 0.2,
    margin: Margin = 0.1,
    keep_incumbent: KeepIncumbent = True,
) -> SuggestedRegionRead:
    """The box around the best trials of this search and its refinements, for refine; it
    keeps the best trial of the lineage (ancestors and refinements) that lies in this search's
    space, and names the incumbent, inside or not."""
    search = searches.get_search(session, search_id)
    mine = searches.finished_trial_rows(session, searches.subtree_ids(session, search))
    theirs = searches.finished_trial_rows(session, searches.ancestor_ids(session, search))
    rows = [*theirs, *mine]
    direction = search.experiment.direction.value
    try:
        found = suggest_region(
            search.search_space,
            [(p, v) for _, _, p, v in mine],
            direction,
            top_fraction,
            margin,
            ancestors=[(p, v) for _, _, p, v in theirs],
            keep_incumbent=keep_incumbent,
        )
    except SpaceError as exc:
        raise FieldError(["path", "search_id"], exc.problem, status=409) from exc
    return suggested_region_read(found, [(t, of_search) for t, of_search, _, _ in rows])


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
    return trial_read(enqueue(session, search_id, params))


@router.put(
    "/{search_id}/note",
    response_model=SearchRead,
    dependencies=[Authorized],
    responses=documented(401, 404, 422),
)
def set_search_note(search_id: SearchId, body: NoteBody, session: SessionDep) -> SearchRead:
    """Replace the search's note, why it was made (null or blank text clears it)."""
    return search_reads(session, [notes.set_search_note(session, search_id, body.note)])[0]


@router.post(
    "/{search_id}/stop",
    response_model=SearchRead,
    dependencies=[Authorized],
    responses=documented(401, 404, 409),
)
def stop_search(search_id: SearchId, session: SessionDep) -> SearchRead:
    """Hand out no more trials; running ones finish and are recorded."""
    return search_reads(session, [searches.stop_search(session, search_id)])[0]


@router.post(
    "/{search_id}/resume",
    response_model=SearchRead,
    dependencies=[Authorized],
    responses=documented(401, 404, 409),
)
def resume_search(search_id: SearchId, session: SessionDep) -> SearchRead:
    """Let workers pick a stopped search up again."""
    return search_reads(session, [searches.resume_search(session, search_id)])[0]
