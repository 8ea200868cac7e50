"""create_app: the FastAPI application, built from Settings (no module-level state)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import plotly
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.templating import Jinja2Templates
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES

from app.api import (
    errors,
    exchange,
    experiments,
    lineage,
    objectives,
    pareto,
    protocol,
    searches,
    trials,
)
from app.api.columns_binary import MEDIA_TYPE as COLUMNS_MEDIA_TYPE
from app.api.deps import ReadAuthorized, Refused, refused_response
from app.api.exchange import IMPORT_PATH
from app.api.limits import BodyLimit
from app.api.origin import SameOrigin
from app.paths import resource
from app.settings import Settings
from app.store import column_warmup
from app.store.db import make_engine, make_sessionmaker
from app.store.migrate import check_schema
from app.store.reaper import Reaper
from app.web import pages
from app.web.static import RevalidatedStaticFiles
from app.worker.registry import registered


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the lifespan refuses to start on a database that is not migrated."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_schema(engine)
        reaper = Reaper(app.state.sessionmaker)
        reaper.start()
        stop_warming = threading.Event()
        if settings.warm_columns:
            column_warmup.start(app.state.sessionmaker, stop_warming)
        yield
        stop_warming.set()
        reaper.stop()
        engine.dispose()

    app = FastAPI(
        title="Hyperzoom",
        version="0.1.0",
        summary="Hyperparameter search you steer by drawing boxes on the results.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.objectives = registered(settings.objectives, settings.config)
    app.state.templates = Jinja2Templates(directory=resource("templates"))
    app.state.templates.env.globals["plotly_version"] = plotly.__version__
    errors.install(app)
    app.add_exception_handler(Refused, refused_response)  # type: ignore[arg-type]
    _add_middleware(app, settings)
    _add_routes(app)
    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Added innermost first; a request meets them in the reverse order."""
    # Compress large answers (100k trials as columns). Level 1, not the default 9: on 100k
    # trials as columns level 9 took 3.7 s, level 1 0.4 s, for a body only 7% smaller
    # (docs/benchmarks.md). Not the page's binary columns: float64 mantissas barely compress
    # (39 MB to 26 MB at a million trials) and gzip took 1.7-2.8 s of a 0.6 s read.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1024,
        compresslevel=1,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, COLUMNS_MEDIA_TYPE),
    )
    if settings.cors_origins:  # off unless the operator lists origins
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # Refuse huge or stalled bodies before anything reads them.
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        max_buffered=settings.max_buffered_body_bytes,
        timeout=settings.body_timeout,
        streamed={IMPORT_PATH: settings.max_import_bytes},
    )
    # Outermost: no other site's page reaches anything, not even the body limit.
    app.add_middleware(
        SameOrigin, allowed_hosts=settings.allowed_hosts, trusted_origins=settings.cors_origins
    )


def _add_routes(app: FastAPI) -> None:
    """The API (reads behind the token when the operator protects them), the pages, the static
    files."""
    # lineage before searches: its /api/searches/compare is no /api/searches/{search_id}.
    routers = (
        experiments.router,
        pareto.router,
        lineage.router,
        searches.router,
        trials.router,
        objectives.router,
    )
    for router in (*routers, protocol.router, exchange.router):
        app.include_router(router, dependencies=[ReadAuthorized])
    app.include_router(pages.router)
    app.mount("/static", RevalidatedStaticFiles(directory=resource("static")), name="static")


def create_app_from_env() -> FastAPI:
    """The app of one `serve --workers N` process: Settings come from the environment only.

    uvicorn needs an import string to start several processes, so `serve` puts its flags into
    HYPERZOOM_* variables (never argv, so the database password and the token stay out of `ps`).
    """
    _stop_when_orphaned(os.environ.get("HYPERZOOM_SERVE_PARENT_PID"))
    return create_app(Settings())


def _stop_when_orphaned(parent: str | None, every: float = 1.0) -> None:
    """SIGTERM this process once the `serve` supervisor that started it is gone (SIGKILLed):
    otherwise it would keep serving the port, unsupervised, after its parent died."""
    if parent is None:
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="hyperzoom-orphan-watch", daemon=True).start()
