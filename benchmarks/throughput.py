"""Trials per second through the real worker path, ours against Optuna's, on SQLite.

Ours: `hyperzoom worker --processes K` on a fresh database holding one random search of the
built-in `bowl` objective (two parameters, a line of arithmetic): ask, evaluate in the worker's
sandbox child process, tell, each in its own transaction, as in production. Optuna: K processes,
each `study.optimize` of the same function with RandomSampler on one `RDBStorage` SQLite file
(`create_study(..., load_if_exists=True)`). Three rates, from the databases' own start and
finish times: "span" is first start to last finish (process start-up left out on both sides),
"steady" the middle 80 % of trials by finish time (the first evaluation's sandbox start and the
last stragglers left out too), "end to end" trials over the wall time of the whole command
(imports, migrations, and for ours the 1 s `--idle-exit` wait included). Every "database is
locked" is counted.

`--nap-ms N` makes every evaluation sleep N ms first, on both sides: with a no-op objective
both tools are bound by SQLite's one writer at a time, and more workers can only help once the
objective takes time of its own, as real ones do. `--postgres URL` (a superuser's URL of a
running server) runs both on PostgreSQL instead, each on a database of its own, created afresh.

    .venv/bin/python benchmarks/throughput.py [--trials 2000] [--processes 1,4] [--nap-ms 0]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.core.space import SearchSpace  # noqa: E402
from app.objectives import BUILTINS, synthetic  # noqa: E402
from app.store.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from app.store.experiments import create_experiment
from app.store.migrate import upgrade  # noqa: E402
from app.store.models import Direction, Trial, TrialState  # noqa: E402
from app.store.searches import SearchSettings
from benchmarks.report import ROOT, fmt, fresh, machine, ratio, table  # noqa: E402

LOCKED = "database is locked"
NAP_ENV = "HZ_BENCH_NAP_MS"  # how long each evaluation sleeps, in ms (both sides)
NAPPING = "benchmarks.throughput:napping_bowl"  # ours, registered with --objective


def _napping() -> bool:
    return float(os.environ.get(NAP_ENV, "0")) > 0


def _nap() -> None:
    ms = float(os.environ.get(NAP_ENV, "0"))
    if ms > 0:
        time.sleep(ms / 1000)


def bowl(trial: Any) -> float:
    """The built-in bowl, written as an Optuna objective."""
    _nap()
    lr = trial.suggest_float("learning_rate", 1e-6, 1.0, log=True)
    x = trial.suggest_float("x", 0.0, 1.0)
    return (math.log10(lr) + 3.0) ** 2 + (x - 0.3) ** 2


def napping_bowl(params: dict[str, Any]) -> float:
    """The built-in bowl after a nap of `--nap-ms`."""
    _nap()
    return synthetic.bowl(params)


def fresh_db(workdir: Path, name: str, postgres: str | None) -> str:
    """The URL of an empty database `name`: a SQLite file in `workdir`, or on PostgreSQL."""
    if postgres is None:
        return f"sqlite:///{fresh(workdir / f'{name}.db')}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(postgres).set(database=name).render_as_string(hide_password=False)


def run_ours(workdir: Path, trials: int, processes: int, postgres: str | None) -> dict[str, Any]:
    """Run `hyperzoom worker --processes K` until the search is done; rate from the DB."""
    url = fresh_db(workdir, f"ours_{processes}", postgres)
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        create_experiment(
            session,
            name="throughput",
            objective=NAPPING if _napping() else "bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(BUILTINS["bowl"].space),
            settings=SearchSettings(n_trials=trials, seed=0),
        )
    command = [sys.executable, "-m", "app", "worker", "--db", url]
    command += ["--processes", str(processes), "--idle-exit", "1", "--poll", "0.05"]
    if _napping():
        command += ["--objective", NAPPING]
    log = workdir / f"ours-{processes}.log"
    started = time.perf_counter()
    with log.open("w") as out:
        subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, check=True)
    wall = time.perf_counter() - started
    with engine.connect() as conn:
        first = conn.scalar(
            select(func.min(Trial.started_at)).where(Trial.state == TrialState.COMPLETE)
        )
        finished = conn.scalars(
            select(Trial.finished_at)
            .where(Trial.state == TrialState.COMPLETE)
            .order_by(Trial.finished_at)
        ).all()
    engine.dispose()
    return _result(first, finished, wall, log.read_text().count(LOCKED))


def run_optuna(workdir: Path, trials: int, processes: int, postgres: str | None) -> dict[str, Any]:
    """K processes each optimizing trials/K times on one RDBStorage."""
    import optuna

    url = fresh_db(workdir, f"optuna_{processes}", postgres)
    optuna.create_study(storage=url, study_name="throughput", direction="minimize")
    each = [trials // processes + (i < trials % processes) for i in range(processes)]
    log = workdir / f"optuna-{processes}.log"
    started = time.perf_counter()
    with log.open("w") as out:
        children = [
            subprocess.Popen(
                [sys.executable, __file__, "--optuna-worker", url, str(n), str(seed)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
            for seed, n in enumerate(each)
        ]
        for child in children:
            child.wait()
    wall = time.perf_counter() - started
    text = log.read_text()
    errors = sum(json.loads(line)["locked"] for line in text.splitlines() if line[:1] == "{")
    engine = make_engine(url)
    with engine.connect() as conn:
        first = conn.exec_driver_sql(
            "SELECT min(datetime_start) FROM trials WHERE state = 'COMPLETE'"
        ).scalar()
        finished = conn.exec_driver_sql(
            "SELECT datetime_complete FROM trials WHERE state = 'COMPLETE' "
            "ORDER BY datetime_complete"
        ).scalars()
        finished = [_parse(stamp) for stamp in finished]
    engine.dispose()
    return _result(_parse(first), finished, wall, errors + text.count(LOCKED))


def _parse(stamp: Any) -> Any:
    return datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp


def _result(first: Any, finished: list[Any], wall: float, locked: int) -> dict[str, Any]:
    done = len(finished)
    span = (finished[-1] - first).total_seconds() if done else None
    low, high = done // 10, done - 1 - done // 10  # the middle 80 % of finish times
    middle = (finished[high] - finished[low]).total_seconds() if high > low else None
    return {
        "done": done,
        "rate": done / span if span else None,
        "steady": (high - low) / middle if middle else None,
        "end_to_end": done / wall,
        "wall": wall,
        "locked": locked,
    }


def optuna_worker(url: str, n: int, seed: int) -> None:
    """One Optuna process: optimize until `n` trials are done, counting locked errors."""
    import optuna
    from sqlalchemy.exc import OperationalError

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=url,
        study_name="throughput",
        direction="minimize",
        sampler=optuna.samplers.RandomSampler(seed=seed),
        load_if_exists=True,
    )
    done = locked = 0

    def count(_study: Any, _trial: Any) -> None:
        nonlocal done
        done += 1

    while done < n and locked < 1000:
        try:
            study.optimize(bowl, n_trials=n - done, callbacks=[count])
        except OperationalError as exc:  # count it and carry on, as a user's retry would
            if LOCKED not in str(exc):
                raise
            locked += 1
    print(json.dumps({"locked": locked}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--processes", default="1,4")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--nap-ms", type=float, default=0.0, help="Sleep per evaluation.")
    parser.add_argument("--postgres", help="A superuser's URL: run both on PostgreSQL.")
    parser.add_argument("--optuna-worker", nargs=3, metavar=("URL", "N", "SEED"))
    args = parser.parse_args()
    if args.optuna_worker:
        url, n, seed = args.optuna_worker
        optuna_worker(url, int(n), int(seed))
        return
    os.environ[NAP_ENV] = str(args.nap_ms)  # read by both sides' processes, which inherit it
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hz-throughput-"))
    workdir.mkdir(parents=True, exist_ok=True)
    nap = f", each evaluation sleeping {args.nap_ms:g} ms" if args.nap_ms else ""
    where = ""
    if args.postgres:
        admin = create_engine(args.postgres)
        with admin.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
            sync = conn.exec_driver_sql("SHOW synchronous_commit").scalar()
            fsync = conn.exec_driver_sql("SHOW fsync").scalar()
        admin.dispose()
        where = f", on PostgreSQL {version} (synchronous_commit={sync}, fsync={fsync})"
    print(f"Throughput, {args.trials} trials{nap}{where}; {machine()}\n")
    rows = []
    for processes in (int(p) for p in args.processes.split(",")):
        ours = run_ours(workdir, args.trials, processes, args.postgres)
        theirs = run_optuna(workdir, args.trials, processes, args.postgres)
        rows.append(
            [
                processes,
                f"{ours['done']} / {theirs['done']}",
                *(
                    f"{fmt(ours[key])} / {fmt(theirs[key])} ({ratio(theirs[key], ours[key])})"
                    for key in ("steady", "rate", "end_to_end")
                ),
                f"{ours['wall']:.1f} / {theirs['wall']:.1f}",
                f"{ours['locked']} / {theirs['locked']}",
            ]
        )
        print(f"processes={processes}: ours {ours}, optuna {theirs}", file=sys.stderr)
    headers = [
        "processes",
        "trials done (ours / Optuna)",
        "steady trials/s, middle 80 % (ours / Optuna, ratio)",
        "span trials/s, first start to last finish",
        "end-to-end trials/s, whole command",
        "wall s (ours / Optuna)",
        '"database is locked" (ours / Optuna)',
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
