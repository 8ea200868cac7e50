"""The `hyperzoom` command: migrate, serve, run workers, start the demo.

Errors end the command with one readable line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from app.cli.errors import friendly
from app.cli.exchange import export_command, import_command, import_optuna_command
from app.cli.experiments import experiment_cli, search_cli, status
from app.cli.lineage import experiment_lineage, search_compare
from app.core.space import SearchSpace
from app.objectives import BUILTINS
from app.settings import Settings, read_secret
from app.store.db import make_engine, make_sessionmaker, redact, session_scope
from app.store.experiments import create_experiment, list_experiments
from app.store.migrate import check_schema, upgrade
from app.store.models import Direction
from app.store.searches import Reaping, SearchSettings
from app.worker.registry import registered

cli = typer.Typer(
    help="Hyperzoom: hyperparameter search you steer by drawing boxes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(experiment_cli, name="experiment")
cli.add_typer(search_cli, name="search")
experiment_cli.command("lineage")(experiment_lineage)
search_cli.command("compare")(search_compare)
cli.command("status")(status)
cli.command("export")(export_command)
cli.command("import")(import_command)
cli.command("import-optuna")(import_optuna_command)
err = Console(stderr=True)
out = Console()

DEMO_NAME = "MLP on digits (demo)"
DEMO_HEARTBEAT_TIMEOUT = 15.0
F = TypeVar("F", bound=Callable[..., Any])

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL [env: HYPERZOOM_DATABASE_URL]", show_default=False),
]
HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
ObjectiveOption = Annotated[
    list[str] | None,
    typer.Option(
        "--objective",
        help="Register an objective: `package.module:function`, or `path/to/train.py:function` "
        "(loaded from the file under a private name, its directory on the import path).",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="hyperzoom.toml with objectives [env: HYPERZOOM_CONFIG]"),
]


def _settings(
    db: str | None, objectives: list[str] | None = None, config: Path | None = None
) -> Settings:
    overrides: dict[str, Any] = {}
    if db:
        overrides["database_url"] = db
    if objectives:
        overrides["objectives"] = objectives
    if config:
        overrides["config"] = config
    return Settings(**overrides)


@db_cli.command("upgrade")
@friendly
def db_upgrade(db: DbOption = None) -> None:
    """Create the database or bring its schema up to date (Alembic migrations)."""
    settings = _settings(db)
    upgrade(settings.database_url)
    out.print(f"database {redact(settings.database_url)} is up to date")


def _check_host(host: str, settings: Settings, insecure: bool) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and settings.token_value is None and not insecure:
        raise ValueError(
            f"refusing to listen on {host} without an API token: set HYPERZOOM_TOKEN, "
            "or pass --insecure-no-token if this network is trusted"
        )


def _check_tokens(settings: Settings) -> None:
    """Refuse to start on a token file that is missing or empty (TokenUnavailable says which):
    the server would refuse every protected request anyway."""
    read_secret(settings.token, settings.token_file)
    read_secret(settings.worker_token, settings.worker_token_file)


@cli.command()
@friendly
def serve(
    db: DbOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    objective: ObjectiveOption = None,
    config: ConfigOption = None,
    insecure_no_token: Annotated[
        bool, typer.Option(help="Allow a non-loopback address without an API token.")
    ] = False,
    log_level: Annotated[
        str, typer.Option(help="uvicorn log level: info logs every request.")
    ] = "info",
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes sharing the port (more reads per second on more cores). "
            "Not trial workers: those are `hyperzoom worker`.",
        ),
    ] = 1,
) -> None:
    """Run the web server (dashboard and REST API)."""
    import uvicorn

    from app.main import create_app

    settings = _settings(db, objective, config)
    _check_tokens(settings)
    _check_host(host, settings, insecure_no_token)
    registered(settings.objectives, settings.config)
    _check_database(settings)
    processes = f" in {workers} processes" if workers > 1 else ""
    out.print(
        f"Hyperzoom is serving {redact(settings.database_url)} at http://{host}:{port}{processes}"
    )
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level=log_level,
            log_config=_log_config(log_level),
        )
        return
    _settings_to_environment(settings)
    os.environ["HYPERZOOM_SERVE_PARENT_PID"] = str(os.getpid())
    # uvicorn's supervisor spawns the processes from an import string; they read the
    # environment, and it stops them all on SIGTERM or SIGINT.
    uvicorn.run(
        "app.main:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        log_config=_log_config(log_level),
        workers=workers,
    )


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, with the server's own loggers (`hyperzoom.*`: the reaper, refused
    tokens, the kept columns built at start) on its console handler at the same level."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["hyperzoom"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def _settings_to_environment(settings: Settings) -> None:
    """Hand the flags to `serve`'s child processes through HYPERZOOM_* variables, not argv."""
    os.environ["HYPERZOOM_DATABASE_URL"] = settings.database_url
    os.environ["HYPERZOOM_OBJECTIVES"] = json.dumps(settings.objectives)
    if settings.config is not None:
        os.environ["HYPERZOOM_CONFIG"] = str(settings.config)


def _check_database(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        check_schema(engine)
    finally:
        engine.dispose()


@cli.command()
@friendly
def worker(
    db: DbOption = None,
    objective: ObjectiveOption = None,
    config: ConfigOption = None,
    server: Annotated[
        str | None,
        typer.Option(help="Work for a server over HTTP instead of the database (remote worker)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="Deprecated: `ps` shows it to every user; use --token-file or the env."),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the token for --server "
            "[env: HYPERZOOM_WORKER_TOKEN(_FILE), else HYPERZOOM_TOKEN(_FILE)]"
        ),
    ] = None,
    processes: Annotated[int, typer.Option(min=1, help="Worker processes to run.")] = 1,
    max_trials: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many trials.")
    ] = None,
    idle_exit: Annotated[
        float | None, typer.Option(min=0, help="Stop after this many seconds with nothing to do.")
    ] = None,
    poll: Annotated[float, typer.Option(min=0.01, help="Seconds between asks when idle.")] = 0.5,
    heartbeat_timeout: Annotated[float | None, typer.Option(min=0.1, hidden=True)] = None,
    max_retries: Annotated[int | None, typer.Option(min=0, hidden=True)] = None,
    trial_timeout: Annotated[
        float | None, typer.Option(min=0.001, help="Fail a trial that runs longer (seconds).")
    ] = None,
    memory_limit: Annotated[
        int | None, typer.Option(min=16, help="Address-space limit per trial, in MB.")
    ] = None,
    ray: Annotated[
        str | None, typer.Option(help="Run evaluations as Ray tasks: `local`, `auto` or ADDRESS.")
    ] = None,
    cpus_per_trial: Annotated[float, typer.Option(min=0, help="Ray CPUs per trial.")] = 1,
    gpus_per_trial: Annotated[float, typer.Option(min=0, help="Ray GPUs per trial.")] = 0,
) -> None:
    """Evaluate trials until stopped; Ctrl-C gives the current trial back."""
    from app.worker.run import WorkerSetup, run_worker

    settings = _settings(db, objective, config)
    if heartbeat_timeout is not None or max_retries is not None:
        err.print(
            "warning: --heartbeat-timeout and --max-retries are ignored: each search carries "
            "its own (heartbeat_timeout, max_retries when it is created), so every worker "
            "judges a trial alike"
        )
    setup = WorkerSetup(
        server=server,
        token=_worker_token(settings, token, token_file) if server else None,
        max_trials=max_trials,
        idle_exit=idle_exit,
        poll=poll,
        trial_timeout=trial_timeout,
        memory_limit=memory_limit,
        ray=ray,
        cpus_per_trial=cpus_per_trial,
        gpus_per_trial=gpus_per_trial,
    )
    if processes > 1:
        raise typer.Exit(_run_processes(processes, sys.argv[1:]))
    run_worker(settings, setup, out)


def _worker_token(settings: Settings, token: str | None, token_file: Path | None) -> str | None:
    """The token a remote worker sends: --token (kept for old scripts, with a warning), else
    --token-file, else the worker token, else the admin token, from the environment."""
    if token:
        err.print(
            "[yellow]warning:[/yellow] --token shows the token to every user of this machine "
            "in `ps`: use --token-file, HYPERZOOM_WORKER_TOKEN or HYPERZOOM_TOKEN instead",
            highlight=False,
            soft_wrap=True,
        )
        return token
    if token_file is not None:
        return read_secret(None, token_file)
    return settings.worker_token_value or settings.token_value


# Flags whose values travel to child workers through the environment instead, so a password
# or token never shows in `ps` (the parent warned about --token already).
_SECRET_FLAGS = {"--db": "HYPERZOOM_DATABASE_URL", "--token": "HYPERZOOM_WORKER_TOKEN"}


def _child_args(argv: list[str], env: dict[str, str]) -> list[str]:
    """The worker's own argv minus --processes, with --db and --token moved into `env`."""
    kept: list[str] = []
    args = iter(argv)
    for arg in args:
        flag, eq, value = arg.partition("=")
        if flag == "--processes":
            if not eq:
                next(args, None)
        elif flag in _SECRET_FLAGS:
            env[_SECRET_FLAGS[flag]] = value if eq else next(args, "")
        else:
            kept.append(arg)
    return kept


def _run_processes(n: int, argv: list[str]) -> int:
    """Run `n` single-process workers with the same options; stop them all together."""
    env = dict(os.environ)
    # One BLAS thread per process: n processes already use the cores.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    # Children stop by themselves if this process disappears (see Worker.run).
    env["HYPERZOOM_PARENT_PID"] = str(os.getpid())
    command = [sys.executable, "-m", "app", *_child_args(argv, env)]
    children = [subprocess.Popen(command, env=env) for _ in range(n)]

    def forward(signum: int, _frame: Any) -> None:
        for child in children:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    try:
        codes = [child.wait() for child in children]
    except KeyboardInterrupt:
        codes = [child.wait() for child in children]
    return max(codes, default=0)


def seed_demo(settings: Settings, n_trials: int) -> int:
    """Create the demo experiment unless it exists; return its id."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            for experiment in list_experiments(session):
                if experiment.name == DEMO_NAME:
                    return experiment.id
            spec = BUILTINS["mlp-digits"]
            experiment, _ = create_experiment(
                session,
                name=DEMO_NAME,
                objective=spec.name,
                direction=Direction(spec.direction),
                space=SearchSpace.from_dict(spec.space),
                policy=Reaping(settings.heartbeat_timeout, settings.max_retries),
                settings=SearchSettings(n_trials=n_trials, seed=0),
            )
            return experiment.id
    finally:
        engine.dispose()


def demo_settings(db: str | None) -> Settings:
    """The demo's settings: a lost trial is retried after 15 s instead of a minute (unless
    HYPERZOOM_HEARTBEAT_TIMEOUT says otherwise). Safe with trials of any length: workers
    heartbeat from a thread every min(timeout / 4, 5 s)."""
    settings = _settings(db)
    if "HYPERZOOM_HEARTBEAT_TIMEOUT" not in os.environ:
        settings.heartbeat_timeout = DEMO_HEARTBEAT_TIMEOUT
    return settings


@cli.command()
@friendly
def demo(
    db: DbOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes to start.")] = 2,
    trials: Annotated[int, typer.Option(min=1, help="Trials in the coarse search.")] = 60,
) -> None:
    """Migrate, seed the MLP-on-digits demo, start workers and the server."""
    import uvicorn

    from app.main import create_app

    settings = demo_settings(db)
    _check_host(host, settings, insecure=False)
    upgrade(settings.database_url)
    experiment_id = seed_demo(settings, trials)
    command = [sys.executable, "-m", "app", "worker", "--processes", str(workers)]
    env = {
        **os.environ,
        "HYPERZOOM_DATABASE_URL": settings.database_url,
        "HYPERZOOM_HEARTBEAT_TIMEOUT": str(settings.heartbeat_timeout),
    }
    pool = subprocess.Popen(command, env=env, start_new_session=True) if workers else None
    try:
        out.print(
            f"[bold]Hyperzoom demo[/bold]: {workers} workers on {redact(settings.database_url)}\n"
            f"Open http://{host}:{port}/experiments/{experiment_id}  (Ctrl-C to stop)",
            highlight=False,
        )
        # uvicorn re-raises SIGTERM after its graceful shutdown; exiting through SystemExit
        # (not the default handler, which kills at once) lets `finally` stop the workers.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    finally:
        if pool is not None:
            pool.send_signal(signal.SIGTERM)
            pool.wait()


def main() -> None:
    """The command, with warnings and errors logged on one line each."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cli()
