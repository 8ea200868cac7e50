"""HTML pages. They carry ids and URLs only; the scripts fetch everything from the API."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from app.core.samplers import SAMPLERS
from app.serving import ExperimentId, SessionDep, TrialId
from app.store import experiments
from app.store.errors import NotFound
from app.store.models import Trial
from app.web.modules import module_graph

router = APIRouter(include_in_schema=False)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@router.get("/", response_class=HTMLResponse, name="experiment_list")
def experiment_list(request: Request, session: SessionDep) -> HTMLResponse:
    """The experiments, newest first (filled in by the page's script when reads need a token)."""
    protected = request.app.state.settings.protect_reads
    rows = (
        []
        if protected
        else [
            experiments.experiment_summary(session, e)
            for e in experiments.list_experiments(session)
        ]
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
    experiment = None if protected else experiments.get_experiment(session, experiment_id)
    return request.app.state.templates.TemplateResponse(
        request,
        "experiment_detail.html",
        {
            "experiment": experiment,
            "experiment_id": experiment_id,
            "protected": protected,
            "modules": module_graph("js/experiment.js"),
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


@lru_cache(maxsize=1)
def plotly_gzipped() -> bytes:
    """plotly.min.js gzipped once: 4.6 MB compressed on every page load cost the server 60 ms
    or more (at level 1, for 1.71 MB) just when the page's first trials read needs it."""
    return gzip.compress(PLOTLY_JS.read_bytes(), compresslevel=9, mtime=0)


@router.get("/vendor/plotly-{version}.min.js", name="plotly_js")
def plotly_js(request: Request, version: str) -> Response:
    """plotly.js from the installed plotly package; the version in the URL busts caches."""
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        headers["Content-Encoding"] = "gzip"  # GZipMiddleware leaves it as it is
        return Response(plotly_gzipped(), media_type="text/javascript", headers=headers)
    return FileResponse(PLOTLY_JS, media_type="text/javascript", headers=headers)
