"""Assemble a worker from settings and flags: backend, evaluator, objectives, status."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from app.settings import Settings
from app.store.db import make_engine, make_sessionmaker
from app.store.migrate import check_schema
from app.worker.backend import Backend, DatabaseBackend, HttpBackend
from app.worker.isolate import Sandbox
from app.worker.loop import Worker, WorkerOptions
from app.worker.objectives import registered
from app.worker.status import WorkerStatus


@dataclass(frozen=True)
class WorkerSetup:
    """The worker command's flags."""

    server: str | None = None
    token: str | None = None
    max_trials: int | None = None
    idle_exit: float | None = None
    poll: float = 0.5
    heartbeat_timeout: float = 60.0
    max_retries: int = 2
    trial_timeout: float | None = None
    memory_limit: int | None = None
    ray: str | None = None
    cpus_per_trial: float = 1
    gpus_per_trial: float = 0


def make_backend(settings: Settings, setup: WorkerSetup) -> Backend:
    """HTTP to a server when --server is given, else the database (checked to be migrated)."""
    if setup.server:
        return HttpBackend(setup.server, setup.token)
    engine = make_engine(settings.database_url)
    check_schema(engine)
    return DatabaseBackend(make_sessionmaker(engine))


def make_evaluator(setup: WorkerSetup) -> object:
    """A Ray dispatcher when --ray is given, else an isolated child process."""
    if setup.ray:
        from app.worker.ray_tasks import RayEvaluator

        return RayEvaluator(setup.ray, setup.cpus_per_trial, setup.gpus_per_trial)
    return Sandbox(setup.memory_limit)


def run_worker(settings: Settings, setup: WorkerSetup, console: Console) -> int:
    """Run one worker until it stops; returns the number of trials it evaluated."""
    specs = registered(settings.objectives, settings.config, plugins=True)
    backend = make_backend(settings, setup)
    options = WorkerOptions(
        heartbeat_timeout=setup.heartbeat_timeout,
        max_retries=setup.max_retries,
        trial_timeout=setup.trial_timeout,
        poll=setup.poll,
    )
    try:
        worker = Worker(backend, specs, evaluator=make_evaluator(setup), options=options)
        backend.register(specs.values(), worker.name)
        worker.stop_on_signals()
        with WorkerStatus(worker.name, console) as status:
            worker.on_result = status.record
            return worker.run(max_trials=setup.max_trials, idle_exit=setup.idle_exit)
    finally:
        backend.close()
