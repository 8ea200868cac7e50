"""`hyperzoom import` of an export past the 10 MB body limit (issue 18): streamed straight into
a database (--db) or up to a live server (--server), a trial at a time, in memory that does
not grow with the document, and all or nothing when it breaks off."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.store.db import make_engine
from app.store.models import Experiment, IntermediateValue, Search, Trial
from tests.support.big_export import fill_and_export, measured_cli, peak_rss_of, trial_sample
from tests.support.processes import ROOT, free_port, hyperzoom, stop

N = 60_000
SAMPLE = [0, 1, 12_345, 40_000, N - 1]
TOKEN = "import-token"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> tuple[Path, str]:
    """An export of N trials (about 25 MB) and the database it came from."""
    where = tmp_path_factory.mktemp("big")
    source = where / "source.db"
    shutil.copy(migrated_template, source)
    path = where / "big.json"
    fill_and_export(f"sqlite:///{source}", N, path)
    assert path.stat().st_size > 10 * 1024 * 1024  # past the body limit of every other route
    return path, f"sqlite:///{source}"


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.scalar(select(func.count()).select_from(Experiment)) or 0,
            conn.scalar(select(func.count()).select_from(Trial)) or 0,
            conn.scalar(select(func.count()).select_from(IntermediateValue)) or 0,
        )


def _same_trials(source_url: str, target_url: str, target_id: int) -> None:
    """Counts, counters and a sample of trials match the source experiment's."""
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        with Session(source) as a, Session(target) as b:
            assert trial_sample(a, 1, SAMPLE) == trial_sample(b, target_id, SAMPLE)
            search = b.scalars(select(Search).where(Search.experiment_id == target_id)).one()
            assert (search.n_asked, search.n_finished, search.status.value) == (N, N, "done")
            assert b.get(Experiment, target_id).seq == N  # type: ignore[union-attr]
        assert _counts(target) == (1, N, 2 * N)
    finally:
        source.dispose()
        target.dispose()


def test_a_big_export_streams_into_a_database_in_bounded_memory(
    big: tuple[Path, str], db_url: str
) -> None:
    path, source = big
    done, growth = measured_cli("import", str(path), "--db", db_url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"experiment 1 (big) imported: 1 searches, {N} trials, 0 waiting" in done.stdout
    _same_trials(source, db_url, 1)
    # A whole document in memory is several times its size (6 GB for a million trials);
    # read a trial at a time, the command grows by a few MB (6 MB measured here).
    size = path.stat().st_size
    assert growth < size / 2, f"grew by {growth / 1e6:.1f} MB for a {size / 1e6:.1f} MB document"


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """`hyperzoom serve` with a token, in its own process (yielded with its URL)."""
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = hyperzoom(
        "serve", "--db", db_url, "--port", str(port), stdout=log, stderr=log,
        env={"HYPERZOOM_TOKEN": TOKEN},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
    yield url, process  # type: ignore[misc]
    stop(process)
    log.close()


def _spoiled(path: Path, index: int) -> bytes:
    """The document with trial `index`'s solver made one its space does not have."""
    lines = path.read_bytes().split(b"\n")
    first = next(i for i, line in enumerate(lines) if line.startswith(b'{"'))
    lines[first + index] = lines[first + index].replace(b'"solver": "', b'"solver": "rmsprop-')
    return b"\n".join(lines)


def test_a_big_export_streams_up_to_a_server(
    big: tuple[Path, str],
    db_url: str,
    server: tuple[str, subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    path, source = big
    url, process = server
    before = peak_rss_of(process.pid)
    refused, _ = measured_cli("import", str(path), "--server", url, "--token", "wrong")
    assert refused.returncode == 1 and "(HTTP 401)" in refused.stderr
    # A bad trial halfway: the server answers while the client is still sending, and the
    # client shows that answer (not a broken pipe); nothing of the first half stays.
    bad = tmp_path / "bad.json"
    bad.write_bytes(_spoiled(path, N // 2))
    refused, _ = measured_cli("import", str(bad), "--server", url, "--token", TOKEN)
    assert refused.returncode == 1
    assert f"trials.{N // 2}.params.solver: 'rmsprop-" in refused.stderr, refused.stderr[-2000:]
    done, growth = measured_cli("import", str(path), "--server", url, "--token", TOKEN)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"experiment 1 (big) imported: 1 searches, {N} trials, 0 waiting" in done.stdout
    _same_trials(source, db_url, 1)
    size = path.stat().st_size
    assert growth < size / 2, f"the client grew by {growth / 1e6:.1f} MB"
    server_growth = peak_rss_of(process.pid) - before
    assert server_growth < size / 2, f"the server grew by {server_growth / 1e6:.1f} MB"
    # Every other route keeps the 10 MB body limit.
    other = httpx.post(
        f"{url}/api/experiments",
        content=b" " * (11 * 1024 * 1024),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert other.status_code == 413


def test_a_bad_trial_at_the_end_leaves_nothing_behind(
    big: tuple[Path, str], db_url: str, tmp_path: Path
) -> None:
    path, _ = big
    bad = tmp_path / "bad.json"
    bad.write_bytes(_spoiled(path, N - 1))
    done, _ = measured_cli("import", str(bad), "--db", db_url)
    assert done.returncode == 1
    assert f"trials[{N - 1}].params.solver" in done.stderr, done.stderr[-2000:]
    engine = make_engine(db_url)
    assert _counts(engine) == (0, 0, 0)
    engine.dispose()


def _killed_mid_import(command: list[str], wal: Path) -> None:
    """Run `command` and SIGKILL it once the import has written a few MB."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (wal.exists() and wal.stat().st_size > 4 * 1024 * 1024):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import never got going"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()


def test_an_import_killed_midway_leaves_nothing_behind(
    big: tuple[Path, str], db_url: str, server: tuple[str, subprocess.Popen[bytes]]
) -> None:
    path, _ = big
    url, _ = server
    wal = Path(db_url.removeprefix("sqlite:///") + "-wal")
    app = [sys.executable, "-m", "app", "import", str(path)]
    _killed_mid_import([*app, "--db", db_url], wal)  # the uncommitted transaction is gone
    engine = make_engine(db_url)
    assert _counts(engine) == (0, 0, 0)
    with engine.connect() as conn:  # an empty log again, to see the next import's writes
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    _killed_mid_import([*app, "--server", url, "--token", TOKEN], wal)  # the server rolls back
    assert _counts(engine) == (0, 0, 0)
    # The database is not left locked: the next import goes through.
    done = subprocess.run(
        [*app, "--server", url, "--token", TOKEN], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _counts(engine) == (1, N, 2 * N)
    engine.dispose()
