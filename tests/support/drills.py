"""What the drills share: real workers and servers to start and kill, waits, and the checks
that nothing was lost or counted twice (figures go to test-artifacts/drills.json)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.exporting import export_experiment
from app.store.models import Direction, Experiment, Search, Trial, TrialState
from app.store.searches import Reaping, SearchSettings
from tests.support.processes import ROOT, free_port, stop
from tests.support.tallies import counted, kept

MODULE = "tests.worker.objectives_for_tests"


SLOW = f"{MODULE}:slow"


SPACE = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})


ARTIFACTS = ROOT / "test-artifacts"


FINAL = (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)


# Lets a drill shorten SQLite's busy timeout in a child process (the app reads it per engine).
_LAUNCH = (
    "import os, sys, app.store.db as db\n"
    "if os.environ.get('HZ_DRILL_BUSY_TIMEOUT'):\n"
    "    db.SQLITE_BUSY_TIMEOUT = float(os.environ['HZ_DRILL_BUSY_TIMEOUT'])\n"
    "sys.argv[0] = 'hyperzoom'\n"
    "from app.cli.main import main\n"
    "main()\n"
)


def spawn(
    *args: str, log: Path, env: dict[str, str] | None = None, prefix: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `hyperzoom ARGS` as a real process, output appended to `log`."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    command = [*(prefix or []), sys.executable, "-c", _LAUNCH, *args]
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )


def start_worker(
    target: str, *args: str, log: Path, objective: str = SLOW, **env: str
) -> subprocess.Popen[bytes]:
    """A single-process worker on a database URL or, for an http:// target, a server."""
    where = ["--server", target] if target.startswith("http") else ["--db", target]
    flags = ["--objective", objective, "--poll", "0.05"]
    return spawn("worker", *where, *flags, *args, log=log, env=env)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL and reap."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


class Server:
    """`hyperzoom serve` on a fixed port, so it can be SIGKILLed and come back at the same URL."""

    def __init__(self, db_url: str, log: Path, *args: str, **env: str) -> None:
        self.db_url, self.log, self.args, self.env = db_url, log, args, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 40) -> None:
        """Start and wait until it answers (the port may need a moment after a kill)."""
        command = ["serve", "--db", self.db_url, "--port", str(self.port)]
        command += ["--log-level", "warning", *self.args]
        self.process = spawn(*command, log=self.log, env=self.env)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while not answers(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def wait_for_processes(self, n: int, database: Path, timeout: float = 60) -> None:
        """With `--workers n`: wait until all n server processes have opened the SQLite file,
        which they do last before serving (the first may answer while the others import)."""
        assert self.process is not None

        def opened() -> int:
            assert self.process is not None
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return sum(holds(int(pid), database) for pid in children.read_text().split())

        wait_for(lambda: opened() >= n, timeout, f"{n} server processes")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback, whatever it was doing."""
        if self.process is not None:
            kill(self.process)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process is not None:
            stop(self.process)


def holds(pid: int, path: Path) -> bool:
    """Whether process `pid` has the file `path` open."""
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            if fd.readlink() == path:
                return True
        except OSError:  # closed meanwhile
            continue
    return False


def answers(url: str) -> bool:
    """Whether the server at `url` serves its OpenAPI document."""
    try:
        return httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll until `condition()` is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def make_search(
    factory: sessionmaker[Session],
    n_trials: int,
    objective: str = SLOW,
    name: str = "drill",
    policy: Reaping | None = None,
) -> tuple[int, int]:
    """An experiment with one search of `n_trials` over x in [0, 1], reaped by `policy`:
    (experiment id, search id)."""
    with session_scope(factory) as s:
        experiment, search = create_experiment(
            s,
            name=name,
            objective=objective,
            direction=Direction.MINIMIZE,
            space=SPACE,
            policy=policy,
            settings=SearchSettings(n_trials=n_trials, seed=7),
        )
        return experiment.id, search.id


def progress(factory: sessionmaker[Session], search_id: int) -> tuple[int, int]:
    """(n_finished, n_trials) of a search, read fresh."""
    with session_scope(factory) as s:
        row = s.execute(
            select(Search.n_finished, Search.n_trials).where(Search.id == search_id)
        ).one()
        return row[0], row[1]


def all_done(factory: sessionmaker[Session]) -> bool:
    """Whether every search has finished its budget."""
    with session_scope(factory) as s:
        left = s.scalar(
            select(func.count()).select_from(Search).where(Search.n_finished < Search.n_trials)
        )
        return left == 0


def exports(factory: sessionmaker[Session]) -> dict[int, dict[str, Any]]:
    """Every experiment as its export document, by id: the stored data to compare."""
    with session_scope(factory) as s:
        ids = s.scalars(select(Experiment.id).order_by(Experiment.id)).all()
        return {i: export_experiment(s, i) for i in ids}


def check_integrity(engine: Engine) -> list[str]:
    """The database's own integrity check; returns the checks run (raises on a problem)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            return ["PRAGMA integrity_check", "PRAGMA foreign_key_check"]
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = conn.execute(
            text(
                "SELECT c.oid::regclass::text FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE a.amname = 'btree' AND n.nspname = 'public'"
            )
        ).scalars()
        names = list(indexes)
        for name in names:
            conn.execute(text("SELECT bt_index_check(CAST(:n AS regclass), true)"), {"n": name})
        conn.commit()
        return [f"amcheck bt_index_check(heapallindexed) on {len(names)} indexes"]


def check_searches(factory: sessionmaker[Session]) -> dict[str, int]:
    """Every search's counters agree with its trials: numbers 0..n-1 once each, budget exact,
    its tallies (per state, best value) those of a fresh count.

    Returns totals: searches, trials, complete, failed, lost (sum of trials' lost counters).
    """
    totals = dict.fromkeys(("searches", "trials", "complete", "failed", "lost"), 0)
    with session_scope(factory) as s:
        for search in s.scalars(select(Search).order_by(Search.id)):
            found = s.scalars(
                select(Trial).where(Trial.search_id == search.id).order_by(Trial.number)
            ).all()
            numbers = [t.number for t in found]
            assert numbers == list(range(search.n_trials)), (search.id, numbers)
            assert search.n_asked == search.n_trials, (search.id, search.n_asked)
            finished = [t for t in found if t.state in FINAL]
            assert len(finished) == search.n_finished == search.n_trials, (
                search.id,
                len(finished),
                search.n_finished,
            )
            totals["searches"] += 1
            totals["trials"] += len(found)
            totals["complete"] += sum(t.state is TrialState.COMPLETE for t in found)
            totals["failed"] += sum(t.state is TrialState.FAILED for t in found)
            totals["lost"] += sum(t.lost for t in found)
    engine = factory.kw["bind"]
    assert kept(engine) == counted(engine)
    return totals


def record(drill: str, **figures: Any) -> None:
    """Append a drill's figures to test-artifacts/drills.jsonl."""
    ARTIFACTS.mkdir(exist_ok=True)
    line = {"drill": drill, "at": time.strftime("%Y-%m-%d %H:%M:%S"), **figures}
    with (ARTIFACTS / "drills.jsonl").open("a") as out:
        out.write(json.dumps(line) + "\n")


class Looping(threading.Thread):
    """A thread that runs `step()` until stopped or `max_steps`, collecting its exceptions."""

    def __init__(self, step: Callable[[], None], max_steps: int, deadline: float) -> None:
        super().__init__(daemon=True)
        self.step, self.max_steps, self.deadline = step, max_steps, deadline
        self.halt = threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        for _ in range(self.max_steps):
            if self.halt.is_set() or time.monotonic() > self.deadline:
                return
            try:
                self.step()
            except BaseException as exc:  # report it to the test, do not die silently
                self.errors.append(exc)
                return


def status_text(page: Any) -> str:
    """The page's #status line."""
    return page.locator("#status").inner_text()
