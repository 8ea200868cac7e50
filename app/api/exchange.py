"""Export an experiment as a JSON document or its trials as CSV, and import a document."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from app.api.deps import Authorized
from app.api.schemas import ErrorResponse, ExperimentRead
from app.api.views import experiment_read
from app.serving import ExperimentId, SessionDep
from app.store import exporting, importing
from app.store.document import FORMAT, VERSION
from app.store.experiments import get_experiment

router = APIRouter(tags=["export"])
NOT_FOUND = {404: {"model": ErrorResponse, "description": "No experiment with that id."}}
_TIME = "2025-05-01T12:00:00+00:00"
DOCUMENT_EXAMPLE: dict[str, Any] = {
    "format": FORMAT,
    "version": VERSION,
    "experiment": {
        "name": "MLP on digits",
        "objective": "mlp-digits",
        "direction": "maximize",
        "space": {"alpha": {"type": "float", "low": 1e-5, "high": 1.0, "log": True}},
        "created_at": _TIME,
    },
    "searches": [
        {
            "id": 1,
            "parent_id": None,
            "sampler": "random",
            "sampler_options": None,
            "pruner": None,
            "seed": 1,
            "n_trials": 2,
            "status": "running",
            "space": {"alpha": {"type": "float", "low": 1e-5, "high": 1.0, "log": True}},
            "region": None,
            "created_at": _TIME,
        }
    ],
    "trials": [
        {
            "search_id": 1,
            "number": 0,
            "state": "complete",
            "params": {"alpha": 0.001},
            "value": 0.93,
            "metrics": {"fit_seconds": 1.5},
            "error": None,
            "worker": "host-1",
            "attempt": 0,
            "lost": 0,
            "started_at": _TIME,
            "finished_at": "2025-05-01T12:00:02+00:00",
            "intermediate_values": [[0, 0.85], [1, 0.93]],
        }
    ],
}
CSV_EXAMPLE = (
    "id,search_id,number,state,value,param.alpha,metric.fit_seconds,error,started_at,finished_at\n"
    f"1,1,0,complete,0.93,0.001,1.5,,{_TIME},2025-05-01T12:00:02+00:00\n"
)
Document = Annotated[
    dict[str, Any],
    Body(
        description="A document from `GET /api/experiments/{id}/export`.",
        openapi_examples={
            "export": {"summary": "An exported experiment", "value": DOCUMENT_EXAMPLE}
        },
    ),
]


@router.get(
    "/api/experiments/{experiment_id}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "example": DOCUMENT_EXAMPLE,
                }
            }
        },
        **NOT_FOUND,
    },
)
def export_experiment(
    experiment_id: ExperimentId, session: SessionDep, request: Request
) -> StreamingResponse:
    """The experiment, its searches and trials as one document that `import` reads back.

    Streamed a batch of trials at a time, so exporting a million trials does not hold them all
    in the server's memory."""
    get_experiment(session, experiment_id)  # a 404 before the stream starts
    document = partial(exporting.export_text, experiment_id=experiment_id)
    return _streamed(request, document, "application/json")


@router.get(
    "/api/experiments/{experiment_id}/trials.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"example": CSV_EXAMPLE}}}, **NOT_FOUND},
)
def export_trials_csv(
    experiment_id: ExperimentId, session: SessionDep, request: Request
) -> StreamingResponse:
    """Every trial as a CSV row, with one column per parameter and per metric (streamed)."""
    get_experiment(session, experiment_id)
    name = f"experiment-{experiment_id}-trials.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    rows = partial(exporting.trials_csv_text, experiment_id=experiment_id)
    return _streamed(request, rows, "text/csv", headers)


def _streamed(
    request: Request,
    text: Callable[[Session], Generator[str, None, None]],
    media_type: str,
    headers: dict[str, str] | None = None,
) -> StreamingResponse:
    """Stream `text(session)` with a session of its own (SessionDep's closes when the route
    returns, before the body is sent)."""
    pieces = _pieces(request.app.state.sessionmaker, text)
    return StreamingResponse(pieces, media_type=media_type, headers=headers)


async def _pieces(
    factory: sessionmaker[Session], text: Callable[[Session], Generator[str, None, None]]
) -> AsyncIterator[str]:
    """The pieces, read in the thread pool. The session opens with the first piece (a client
    gone before then costs nothing) and closes however the stream ends: finished, failed, or
    cancelled because the client went away mid-stream, which a plain generator would only
    notice when garbage-collected, holding a connection until then."""
    session = factory()
    pieces: Generator[str, None, None] | None = None
    try:
        pieces = await run_in_threadpool(text, session)
        async for piece in iterate_in_threadpool(pieces):
            yield piece
    finally:
        if pieces is not None:
            pieces.close()
        session.close()


@router.post(
    "/api/experiments/import",
    status_code=status.HTTP_201_CREATED,
    response_model=ExperimentRead,
    dependencies=[Authorized],
    responses={422: {"model": ErrorResponse, "description": "The document is invalid."}},
)
def import_experiment(document: Document, session: SessionDep) -> ExperimentRead:
    """Recreate an exported experiment with new ids; running trials come back waiting."""
    experiment = importing.import_experiment(session, document)  # a DocumentError is a 422
    session.refresh(experiment)
    return experiment_read(session, experiment)
