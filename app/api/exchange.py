"""Export an experiment as a JSON document or its trials as CSV, and import a document."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Iterator
from functools import partial
from typing import Any

from anyio import from_thread
from fastapi import APIRouter, Request, status
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
# Read as a stream, past the body limit of every other route (app.api.limits).
IMPORT_PATH = "/api/experiments/import"


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
    IMPORT_PATH,
    status_code=status.HTTP_201_CREATED,
    response_model=ExperimentRead,
    dependencies=[Authorized],
    responses={422: {"model": ErrorResponse, "description": "The document is invalid."}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A document from `GET /api/experiments/{id}/export`, of any size "
            "(read a trial at a time; the server's max_import_bytes bounds it).",
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "examples": {
                        "export": {"summary": "An exported experiment", "value": DOCUMENT_EXAMPLE}
                    },
                }
            },
        }
    },
)
async def import_experiment(request: Request, session: SessionDep) -> ExperimentRead:
    """Recreate an exported experiment with new ids; running trials come back waiting.

    The body is read as it arrives and the trials are written a batch at a time, in one
    transaction: a bad trial (a 422 naming it), a body past the limit or a client gone
    mid-upload rolls everything back."""
    chunks = _body_chunks(request)
    # What is held at once (the head, a line, a document not in the export's shape) stays
    # within the body limit of every other route.
    held = request.app.state.settings.max_body_bytes
    return await run_in_threadpool(_import, session, chunks, held)


def _import(session: Session, chunks: Iterator[bytes], held: int) -> ExperimentRead:
    experiment = importing.import_stream(session, chunks, max_held=held)  # a 422 if bad
    session.refresh(experiment)
    return experiment_read(session, experiment)


def _body_chunks(request: Request) -> Iterator[bytes]:
    """The request body's chunks, for a worker thread: each is awaited on the event loop."""
    stream = request.stream()

    async def next_chunk() -> bytes | None:
        return await anext(stream, None)

    while (chunk := from_thread.run(next_chunk)) is not None:
        yield chunk
