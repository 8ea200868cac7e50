"""Assemble a worker from settings and flags: backend, evaluator, objectives, status."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from app.objectives import BUILTINS, ObjectiveSpec
from app.settings import Settings
from app.store.db import make_engine, make_sessionmaker
from app.store.migrate import check_schema
from app.worker.backend import Backend, DatabaseBackend, HttpBackend, ServerError
from app.worker.isolate import Sandbox
from app.worker.loop import Worker, WorkerOptions, backoff
from app.worker.registry import ObjectiveError, registered
from app.worker.status import WorkerStatus

console_log = logging.getLogger("hyperzoom.worker")


@dataclass(frozen=True)
class WorkerSetup:
    """The worker command's flags."""

    server: str | None = None
    token: str | None = None
    max_trials: int | None = None
    idle_exit: float | None = None
    poll: float = 0.5
    trial_timeout: float | None = None
    memory_limit: int | None = None
    ray: str | None = None
    cpus_per_trial: float = 1
    gpus_per_trial: float = 0


def make_backend(settings: Settings, setup: WorkerSetup) -> Backend:
    """HTTP to a server when --server is given, else the database (checked to be migrated)."""
    if setup.server:
        return HttpBackend(setup.server, setup.token)
    engine = make_engine(settings.database_url, pre_ping=False)  # it retries failed steps
    check_schema(engine)
    return DatabaseBackend(make_sessionmaker(engine))


def make_evaluator(setup: WorkerSetup) -> object:
    """A Ray dispatcher when --ray is given, else an isolated child process."""
    if setup.ray:
        from app.worker.ray_tasks import RayEvaluator

        return RayEvaluator(setup.ray, setup.cpus_per_trial, setup.gpus_per_trial)
    return Sandbox(setup.memory_limit)


def _register(worker: Worker, backend: Backend, specs: dict[str, Any]) -> None:
    """Announce the objectives, waiting for the server or database if it is not up yet."""
    for delay in backoff():
        try:
            backend.register(specs.values(), worker.name)
            return
        except ServerError as exc:
            if "HTTP 4" in str(exc):  # refused (say a wrong token): waiting will not help
                raise
            console_log.warning("cannot register yet (%s); retrying in %.1f s", exc, delay)
        except SQLAlchemyError as exc:
            console_log.warning("cannot register yet (%s); retrying in %.1f s", exc, delay)
        if worker.stop_event.wait(delay):
            return


def load_first(evaluator: object, specs: Iterable[ObjectiveSpec]) -> None:
    """Load the operator's Python objectives where trials will run them, before asking for
    any: one that cannot be loaded (no file, a syntax error, no such function) stops the
    worker with the reason, instead of failing every trial of its searches. An evaluator that
    cannot load ahead (Ray) reports such a reason per trial instead."""
    load = getattr(evaluator, "load", None)
    if load is None:
        return
    for spec in specs:
        if spec.command is None and spec.name not in BUILTINS:
            problem = load(spec)
            if problem is not None:
                raise ObjectiveError(problem)


def run_worker(settings: Settings, setup: WorkerSetup, console: Console) -> int:
    """Run one worker until it stops; returns the number of trials it evaluated."""
    specs = registered(settings.objectives, settings.config, plugins=True)
    backend = make_backend(settings, setup)
    options = WorkerOptions(
        trial_timeout=setup.trial_timeout,
        poll=setup.poll,
    )
    try:
        evaluator = make_evaluator(setup)
        try:
            load_first(evaluator, specs.values())
        except BaseException:
            evaluator.close()  # type: ignore[attr-defined]
            raise
        worker = Worker(backend, specs, evaluator=evaluator, options=options)
        worker.stop_on_signals()
        _register(worker, backend, specs)
        with WorkerStatus(worker.name, console) as status:
            worker.on_result = status.record
            return worker.run(max_trials=setup.max_trials, idle_exit=setup.idle_exit)
    finally:
        backend.close()
