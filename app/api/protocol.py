"""/api/trials/...: the worker protocol over HTTP, for remote workers and for driving trials
from your own training loop or notebook (ask for a configuration, report, tell)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import WorkerAuthorized
from app.api.errors import documented, located
from app.core.values import MAX_ERROR_CHARS
from app.objectives import ObjectiveSpec
from app.serving import MAX_ID, SessionDep, TrialId
from app.store import claims, recovery, results
from app.store.models import Direction, TrialState
from app.store.objectives import register_objectives

router = APIRouter(
    prefix="/api",
    tags=["worker protocol"],
    dependencies=[WorkerAuthorized],
    responses=documented(401, 404, 409, 422),
)
Ticket = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="The ticket ask handed out with the claim: only its holder may heartbeat, "
        "report, tell or release the trial.",
    ),
]
_EXAMPLE_TICKET = "Zm9yIGV4YW1wbGUgb25seSwgbm90IGEgdGlja2V0"
WorkerName = Annotated[str, Field(min_length=1, max_length=200)]


class AskRequest(BaseModel):
    """Who asks, and which objectives it can evaluate."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"worker": "gpu-box:4121", "objectives": ["bowl"]}]},
    )

    worker: WorkerName
    objectives: Annotated[list[str], Field(min_length=1, max_length=1000)]
    search_id: Annotated[int | None, Field(ge=1, le=MAX_ID)] = Field(
        None,
        description="Only trials of this search (the Python API's `optimize` runs one "
        "search's trials, whatever else is open for these objectives).",
    )


class ClaimRead(BaseModel):
    """A trial now owned by the asker: evaluate `params`, then tell with this `ticket`."""

    trial_id: int
    attempt: int = Field(description="Which evaluation of the trial this is (0, then retries).")
    ticket: str = Field(description="Keep it private: it is the proof that the claim is yours.")
    search_id: int
    number: int
    objective: str
    direction: Direction
    params: dict[str, Any]
    pruned_by: str | None
    heartbeat_timeout: float = Field(
        description="The search's: heartbeat at least four times within it, or the trial is "
        "lost and retried."
    )
    metric: str | None = Field(
        None,
        description="When the experiment declares several metrics: the first one, whose value "
        "is the trial's value (tell it as `value`, the others in `metrics`); null otherwise.",
    )


class TicketBody(BaseModel):
    """The ticket of the claim this call is about."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ticket": _EXAMPLE_TICKET}]}
    )

    ticket: Ticket


class ReportRequest(TicketBody):
    """An intermediate value at a step (an epoch, say)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ticket": _EXAMPLE_TICKET, "step": 3, "value": 0.91}]},
    )

    step: Annotated[int, Field(ge=0, le=10**9)]
    value: Annotated[float, Field(allow_inf_nan=False)]


class ReportResponse(BaseModel):
    """Whether the pruner wants the trial stopped."""

    prune: bool


class TellRequest(TicketBody):
    """The result of an attempt."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"ticket": _EXAMPLE_TICKET, "state": "complete", "value": 0.97}]
        },
    )

    state: TrialState
    value: Annotated[float | None, Field(allow_inf_nan=False)] = None
    error: Annotated[str | None, Field(max_length=MAX_ERROR_CHARS)] = None
    # Checked by the store (app.core.values: depth, size, text), as for database workers.
    metrics: dict[str, Any] | None = None


class ObjectiveAnnouncement(BaseModel):
    """An objective a worker runs."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    direction: Direction
    description: Annotated[str, Field(max_length=10_000)] = ""
    # Checked by the store (app.core.values: depth, size, text), as for database workers.
    space: dict[str, Any] = Field(default_factory=dict)


class RegisterRequest(BaseModel):
    """The objectives a worker announces."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "worker": "gpu-box:4121",
                    "objectives": [{"name": "mypkg.train:objective", "direction": "maximize"}],
                }
            ]
        },
    )

    worker: WorkerName
    objectives: Annotated[list[ObjectiveAnnouncement], Field(max_length=1000)]


@router.post(
    "/trials/ask", response_model=ClaimRead, responses={204: {"description": "Nothing to do"}}
)
def ask_trial(body: AskRequest, session: SessionDep) -> Any:
    """Claim the next trial of these objectives; 204 when there is none."""
    claim = claims.ask(
        session, objectives=body.objectives, worker=body.worker, search_id=body.search_id
    )
    if claim is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return ClaimRead.model_validate(asdict(claim))


@router.post("/trials/{trial_id}/report", response_model=ReportResponse)
def report_value(trial_id: TrialId, body: ReportRequest, session: SessionDep) -> ReportResponse:
    """Store an intermediate value; answers whether the trial should stop (pruned)."""
    prune = results.report(session, trial_id, body.ticket, body.step, body.value)
    return ReportResponse(prune=prune)


@router.post(
    "/trials/{trial_id}/heartbeat",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "The attempt was given up, or the ticket is not its"}},
)
def heartbeat(trial_id: TrialId, body: TicketBody, session: SessionDep) -> Response:
    """Keep a running trial alive; 409 means it was given up and should be stopped."""
    if results.heartbeat(session, trial_id, body.ticket):
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return Response(status_code=status.HTTP_409_CONFLICT)


@router.post("/trials/{trial_id}/tell", status_code=status.HTTP_204_NO_CONTENT)
def tell_result(trial_id: TrialId, body: TellRequest, session: SessionDep) -> Response:
    """Record the result of an attempt (complete needs a finite value)."""
    results.tell(
        session,
        trial_id,
        ticket=body.ticket,
        state=body.state,
        value=body.value,
        error=body.error,
        metrics=body.metrics,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/trials/{trial_id}/release", status_code=status.HTTP_204_NO_CONTENT)
def release_trial(trial_id: TrialId, body: TicketBody, session: SessionDep) -> Response:
    """Give a running trial back unfinished; another worker will run it (a ticket that does not
    hold the trial changes nothing)."""
    recovery.release(session, trial_id, body.ticket)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/objectives/register", status_code=status.HTTP_204_NO_CONTENT)
def register(body: RegisterRequest, session: SessionDep) -> Response:
    """Announce the objectives a worker runs, so experiments may use them."""
    specs = [
        ObjectiveSpec(o.name, f"worker:{o.name}", o.direction.value, o.description, o.space)
        for o in body.objectives
    ]
    with located("body", "objectives"):
        register_objectives(session, specs, body.worker)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
