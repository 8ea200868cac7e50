"""HTML pages. They carry ids and URLs only; the scripts fetch everything from the API."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from app.api.deps import SessionDep
from app.api.schemas import ExperimentId, TrialId
from app.api.views import experiment_summary
from app.core.samplers import SAMPLERS
from app.store import experiments as store
from app.store.errors import NotFound
from app.store.models import Trial

router = APIRouter(include_in_schema=False)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@router.get("/", response_class=HTMLResponse, name="experiment_list")
def experiment_list(request: Request, session: SessionDep) -> HTMLResponse:
    """The experiments, newest first (filled in by the page's script when reads need a token)."""
    protected = request.app.state.settings.protect_reads
    rows = (
        []
        if protected
        else [experiment_summary(session, e) for e in store.list_experiments(session)]
    )
    return request.app.state.templates.TemplateResponse(
        request, "experiment_list.html", {"experiments": rows, "protected": protected}
    )


@router.get("/experiments/{experiment_id}", response_class=HTMLResponse, name="experiment_detail")
def experiment_detail(
    request: Request, experiment_id: ExperimentId, session: SessionDep
) -> HTMLResponse:
    """One experiment's dashboard: scatter plot, region panel, searches, analysis views."""
    protected = request.app.state.settings.protect_reads
    experiment = None if protected else store.get_experiment(session, experiment_id)
    return request.app.state.templates.TemplateResponse(
        request,
        "experiment_detail.html",
        {
            "experiment": experiment,
            "experiment_id": experiment_id,
            "poll_ms": int(request.app.state.settings.poll_interval * 1000),
            "samplers": list(SAMPLERS),
        },
    )


@router.get("/trials/{trial_id}", response_class=HTMLResponse, name="trial_detail")
def trial_detail(request: Request, trial_id: TrialId, session: SessionDep) -> HTMLResponse:
    """One trial: params, result, metrics, error, timings and its learning curve."""
    protected = request.app.state.settings.protect_reads
    if not protected and session.get(Trial, trial_id) is None:
        raise NotFound("trial", trial_id)
    return request.app.state.templates.TemplateResponse(
        request, "trial_detail.html", {"trial_id": trial_id}
    )


@router.get("/vendor/plotly-{version}.min.js", name="plotly_js")
def plotly_js(version: str) -> FileResponse:
    """plotly.js from the installed plotly package; the version in the URL busts caches."""
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
