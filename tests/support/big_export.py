"""A big exported experiment, made quickly: trials bulk-inserted (as benchmarks/fill.py does)
and written by the real exporter, so the tests read exactly what `hyperzoom export` writes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.core.space import SearchSpace
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.experiments import create_experiment
from app.store.exporting import export_text
from app.store.models import Direction, Experiment, IntermediateValue, Search, Trial, TrialState
from app.store.searches import SearchSettings
from tests.support.processes import ROOT

SPACE = {
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "units": {"type": "int", "low": 8, "high": 256, "log": True},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}
_START = datetime(2026, 1, 1, tzinfo=UTC)


def fill_and_export(db_url: str, n: int, target: Path, chunk: int = 20_000) -> int:
    """Make an experiment of `n` complete trials (each with a two-point learning curve) in the
    migrated database at `db_url`, and export it to `target`; the experiment's id."""
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with session_scope(factory) as session:
        experiment, search = create_experiment(
            session,
            name="big",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(SPACE),
            settings=SearchSettings(n_trials=n, seed=1),
        )
        experiment_id, search_id = experiment.id, search.id
    rng = np.random.default_rng(0)
    for low in range(0, n, chunk):
        high = min(low + chunk, n)
        _insert(engine, experiment_id, search_id, low, high, rng)
    with session_scope(factory) as session, target.open("w", encoding="utf-8") as sink:
        for piece in export_text(session, experiment_id):
            sink.write(piece)
    engine.dispose()
    return experiment_id


def _insert(
    engine: Any, experiment_id: int, search_id: int, low: int, high: int, rng: np.random.Generator
) -> None:
    n = high - low
    lr, x = 10 ** rng.uniform(-5, 0, n), rng.uniform(0, 1, n)
    units, solver = np.round(2 ** rng.uniform(3, 8, n)).astype(int), rng.integers(0, 2, n)
    rows = []
    for i, number in enumerate(range(low, high)):
        started = _START + timedelta(seconds=number)
        rows.append(
            {
                "experiment_id": experiment_id,
                "search_id": search_id,
                "number": number,
                "state": TrialState.COMPLETE,
                "params": {
                    "lr": float(lr[i]),
                    "x": float(x[i]),
                    "units": int(units[i]),
                    "solver": ("sgd", "adam")[int(solver[i])],
                },
                "value": float(x[i]) ** 2,
                "worker": "fill",
                "attempt": 0,
                "lost": 0,
                "seq": number + 1,
                "started_at": started,
                "heartbeat_at": started,
                "finished_at": started + timedelta(milliseconds=250),
            }
        )
    with engine.begin() as conn:
        ids = conn.execute(
            insert(Trial).returning(Trial.id, sort_by_parameter_order=True), rows
        ).scalars()
        curves = [
            {"trial_id": trial_id, "search_id": search_id, "step": step, "value": value}
            for trial_id, row in zip(ids, rows, strict=True)
            for step, value in ((0, row["value"] + 1.0), (1, row["value"]))
        ]
        conn.execute(insert(IntermediateValue), curves)
        conn.execute(
            update(Search).where(Search.id == search_id).values(n_asked=high, n_finished=high)
        )
        conn.execute(update(Experiment).where(Experiment.id == experiment_id).values(seq=high))


def trial_sample(session: Session, experiment_id: int, numbers: list[int]) -> list[Any]:
    """Trials `numbers` of the experiment's first search: params, value, curve, state."""
    rows = []
    for number in numbers:
        trial = session.scalars(
            select(Trial).where(Trial.experiment_id == experiment_id, Trial.number == number)
        ).one()
        curve = session.execute(
            select(IntermediateValue.step, IntermediateValue.value)
            .where(IntermediateValue.trial_id == trial.id)
            .order_by(IntermediateValue.step)
        ).all()
        rows.append((trial.params, trial.value, trial.state, [tuple(p) for p in curve]))
    return rows


# Runs the CLI with everything it loads already imported, then resets the peak RSS (Linux's
# clear_refs), so what it reports on exit (kB, however it exits) is the command's own growth.
_MEASURED = """
import sys
from pathlib import Path
import app.main
from app.cli.main import cli

def status(key):
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(key))
    return int(line.split()[1])

Path("/proc/self/clear_refs").write_text("5")
base = status("VmRSS:")
try:
    cli(sys.argv[1:], prog_name="hyperzoom")
finally:
    print("rss-kb", base, status("VmHWM:"), file=sys.stderr)
"""


def measured_cli(*args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess[str], int]:
    """`hyperzoom ARGS` in a subprocess; the finished process and how far its resident memory
    grew above where it stood once everything was imported (bytes)."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line.split() for line in done.stderr.splitlines() if line.startswith("rss-kb")]
    assert lines, done.stderr
    _, base, peak = lines[-1]
    return done, (int(peak) - int(base)) * 1024


def peak_rss_of(pid: int) -> int:
    """A live process's peak RSS so far (VmHWM, Linux), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")
