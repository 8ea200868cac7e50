"""The floor: how many single-row insert-and-commit transactions SQLite does a second here.

One process, one connection, a table shaped like `trials`, each row inserted and committed on
its own. Measured with our settings (WAL, synchronous=NORMAL, the pragmas of app/store/db.py,
through the sqlite3 module and through our SQLAlchemy engine) and with Optuna's (SQLite's
defaults: a rollback journal, synchronous=FULL). A trial costs us two write transactions (the
ask and the tell; a heartbeat only every few seconds of a long trial), so half the commit rate
is the most trials a second one SQLite file can take.

    .venv/bin/python benchmarks/floor.py [--rows 3000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from app.store.db import make_engine  # noqa: E402
from benchmarks.report import fmt, fresh, machine, table  # noqa: E402

CREATE = (
    "CREATE TABLE t (id INTEGER PRIMARY KEY, search_id INTEGER, number INTEGER, state TEXT, "
    "params TEXT, value REAL, seq INTEGER, started_at TEXT)"
)
INSERT = (
    "INSERT INTO t (search_id, number, state, params, value, seq, started_at) "
    "VALUES (1, :n, 'running', '{\"lr\": 0.001, \"x\": 0.3}', NULL, :n, '2026-01-01 00:00:00')"
)
OURS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=30000")
OPTUNA = ("PRAGMA journal_mode=DELETE", "PRAGMA synchronous=FULL")


def raw_rate(path: Path, pragmas: tuple[str, ...], rows: int) -> float:
    """Commits a second through the sqlite3 module."""
    conn = sqlite3.connect(fresh(path), isolation_level=None)
    for pragma in pragmas:
        conn.execute(pragma)
    conn.execute(CREATE)
    started = time.perf_counter()
    for n in range(rows):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(INSERT, {"n": n})
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


def engine_rate(path: Path, rows: int) -> float:
    """Commits a second through our engine (make_engine: WAL, NORMAL, busy timeout)."""
    engine = make_engine(f"sqlite:///{fresh(path)}")
    with engine.begin() as conn:
        conn.execute(text(CREATE))
    statement = text(INSERT)
    started = time.perf_counter()
    for n in range(rows):
        with engine.begin() as conn:
            conn.execute(statement, {"n": n})
    elapsed = time.perf_counter() - started
    engine.dispose()
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hz-floor-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"SQLite single-row insert + commit, {args.rows} rows; {machine()}\n")
    ours = raw_rate(workdir / "ours.db", OURS, args.rows)
    ours_engine = engine_rate(workdir / "engine.db", args.rows)
    optuna = raw_rate(workdir / "optuna.db", OPTUNA, args.rows)
    rows = [
        ["ours: WAL, synchronous=NORMAL (sqlite3)", fmt(ours), fmt(ours / 2), "1"],
        ["ours: the same through make_engine", fmt(ours_engine), fmt(ours_engine / 2), "-"],
        [
            "Optuna: rollback journal, synchronous=FULL (sqlite3)",
            fmt(optuna),
            fmt(optuna / 2),
            f"{ours / optuna:.3g}x slower" if optuna else "-",
        ],
    ]
    headers = ["configuration", "commits/s", "trials/s at 2 commits a trial", "vs ours"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
