"""The cost of one ask + tell as the study grows, ours against Optuna's, on SQLite.

Both databases are bulk-filled with the same finished trials (benchmarks/fill.py) to each size
in turn, then one process times `--pairs` ask + tell pairs of a random search over four
parameters: ours through the store functions a worker's database backend calls (one
transaction for the ask, one for the tell); Optuna's through `study.ask()`, four `suggest_*`
and `study.tell()` on `RDBStorage` with RandomSampler. Optuna stops at the first size where
its fill and pairs took longer than `--optuna-budget` seconds. The table gives the median pair,
and apart the first pair of the process (Optuna's first ask loads every trial into its cache).
The databases are kept in `--workdir` and topped up, never refilled, so a second run with the
same `--workdir` measures again without filling.

At the largest size it also runs a real `hyperzoom worker` for `--worker-trials` trials and
reports its peak resident memory (with its sandbox child), and the same for an Optuna process
optimizing that study.

    .venv/bin/python benchmarks/growth.py [--sizes 1000,10000,100000,1000000] [--pairs 200]
    .venv/bin/python benchmarks/growth.py --sampler zoom --sizes 150,1000,10000 --pairs 50

With `--sampler zoom` ours is a zoom search (its trust region replayed over the filled history,
kept between asks) and Optuna's is TPE on the same trials.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from app.store.claims import ask
from app.store.db import make_sessionmaker, session_scope  # noqa: E402
from app.store.models import TrialState  # noqa: E402
from app.store.results import tell
from benchmarks.fill import Ours, TheirOptuna, open_pair, suggest_optuna, value_of  # noqa: E402
from benchmarks.report import ROOT, PeakRss, fmt, machine, median, ratio, table  # noqa: E402


def time_ours(ours: Ours, pairs: int) -> list[float]:
    """Seconds per ask + tell, each in its own transaction, as the database backend does."""
    factory = make_sessionmaker(ours.engine)
    times = []
    for _ in range(pairs):
        started = time.perf_counter()
        with session_scope(factory) as session:
            claim = ask(session, objectives=["bowl"], worker="bench")
        assert claim is not None
        with session_scope(factory) as session:
            tell(
                session,
                claim.trial_id,
                ticket=claim.ticket,
                state=TrialState.COMPLETE,
                value=value_of(claim.params),
            )
        times.append(time.perf_counter() - started)
    return times


def time_optuna(theirs: TheirOptuna, pairs: int, sampler: str) -> list[float]:
    """Seconds per study.ask + suggest + study.tell, in a freshly loaded study: with
    RandomSampler beside our random search, TPESampler beside zoom."""
    import optuna

    samplers = {"random": optuna.samplers.RandomSampler, "zoom": optuna.samplers.TPESampler}
    study = optuna.load_study(
        study_name="scale", storage=theirs.url, sampler=samplers[sampler](seed=1)
    )
    times = []
    for _ in range(pairs):
        started = time.perf_counter()
        trial = study.ask()
        study.tell(trial, value_of(suggest_optuna(trial)))
        times.append(time.perf_counter() - started)
    return times


def worker_memory(url: str, trials: int) -> tuple[float, float, float]:
    """Peak RSS in MB of `hyperzoom worker` (alone, and with its sandbox child) running
    `trials` trials, and its wall time."""
    command = [sys.executable, "-m", "app", "worker", "--db", url]
    command += ["--max-trials", str(trials), "--poll", "0.05"]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    with PeakRss(child.pid).watching() as peak:
        child.wait()
    return peak.peak_main, peak.peak_total, time.perf_counter() - started


def optuna_memory(url: str, trials: int) -> tuple[float, float]:
    """Peak RSS in MB of a process optimizing `trials` trials of the study, and its wall time."""
    code = (
        "import sys, optuna; sys.path.insert(0, '.');"
        "from benchmarks.fill import suggest_optuna, value_of;"
        "optuna.logging.set_verbosity(optuna.logging.WARNING);"
        f"s = optuna.load_study(study_name='scale', storage='{url}',"
        " sampler=optuna.samplers.RandomSampler(seed=2));"
        f"s.optimize(lambda t: value_of(suggest_optuna(t)), n_trials={trials})"
    )
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    with PeakRss(child.pid).watching() as peak:
        child.wait()
    return peak.peak_total, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--optuna-budget", type=float, default=240.0)
    parser.add_argument("--worker-trials", type=int, default=300)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-optuna", action="store_true", help="Measure ours only.")
    parser.add_argument(
        "--sampler",
        choices=["random", "zoom"],
        default="random",
        help="Ours: random search (beside Optuna's RandomSampler) or zoom (beside its TPE).",
    )
    args = parser.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(
        f"Cost of ask + tell as the study grows, {args.sampler} sampler, {args.pairs} pairs a "
        f"size; {machine()}\n"
    )
    ours, theirs = open_pair(args.workdir, "hz-growth-", not args.no_optuna, args.sampler)
    rng_ours, rng_theirs = np.random.default_rng(0), np.random.default_rng(0)
    rows: list[list[Any]] = []
    first: tuple[float, float | None] | None = None
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        ours.fill(size, rng_ours)
        filled = time.perf_counter() - started
        ours_times = time_ours(ours, args.pairs)
        ours_ms, ours_first = median(ours_times) * 1000, ours_times[0] * 1000
        theirs_ms: float | None = None
        theirs_fill = theirs_first = None
        if theirs is not None:
            started = time.perf_counter()
            theirs.fill(size, rng_theirs)
            theirs_fill = time.perf_counter() - started
            theirs_times = time_optuna(theirs, args.pairs, args.sampler)
            theirs_ms, theirs_first = median(theirs_times) * 1000, theirs_times[0] * 1000
            if time.perf_counter() - started > args.optuna_budget:
                theirs = None  # the next size would take ten times as long
        first = first or (ours_ms, theirs_ms)
        rows.append(
            [
                f"{size:,}",
                fmt(ours_ms),
                fmt(theirs_ms),
                ratio(ours_ms, theirs_ms),
                f"{fmt(ours_first)} / {fmt(theirs_first)}",
                fmt(ours_ms / first[0]),
                fmt(theirs_ms / first[1]) if theirs_ms and first[1] else "-",
                f"{filled:.0f} / {fmt(theirs_fill, 2)}",
            ]
        )
        print(rows[-1], file=sys.stderr, flush=True)
    headers = [
        "trials in the study",
        "ours ms / ask+tell",
        "Optuna ms / ask+tell",
        "Optuna / ours",
        "first pair of a fresh process, ms (ours / Optuna)",
        "ours vs first size",
        "Optuna vs first size",
        "fill s (ours / Optuna)",
    ]
    print(table(headers, rows))
    if args.sampler != "random":
        return  # the memory figures are the random search's
    main_mb, total_mb, wall = worker_memory(ours.url, args.worker_trials)
    print(
        f"\n`hyperzoom worker` running {args.worker_trials} trials of the {size:,}-trial "
        f"experiment: peak RSS {main_mb:.0f} MB (with its sandbox child {total_mb:.0f} MB), "
        f"{wall:.1f} s including start-up."
    )
    if theirs is not None:
        mb, wall = optuna_memory(theirs.url, args.worker_trials)
        print(
            f"Optuna process optimizing {args.worker_trials} trials of the same study: "
            f"peak RSS {mb:.0f} MB, {wall:.1f} s including start-up."
        )


if __name__ == "__main__":
    main()
