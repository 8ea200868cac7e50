"""Drill: disk and permission errors on the SQLite file give a clear message and corrupt nothing.

- A read-only file in a read-only directory (the commands run without root's override of file
  permissions, through `setpriv`): serve, worker and a CLI write each stop with one line.
- A file that is not a database, a directory that does not exist: one line, file untouched.
- A full disk (the server's file size limit, RLIMIT_FSIZE, set just above the database): writes
  fail part-way; afterwards the database passes its integrity check, every acknowledged write
  is there and the failed one left nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.main import create_app
from app.settings import Settings
from app.store.db import make_engine, make_sessionmaker
from tests.support.drills import check_integrity, exports, record, wait_for
from tests.support.processes import ROOT, free_port, running_server

pytestmark = pytest.mark.slow
NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def hyperzoom_run(*args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a `hyperzoom` command to the end."""
    command = [*(prefix or []), sys.executable, "-m", "app", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def digest(*paths: Path) -> str:
    """A hash of the files' bytes."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes() if path.exists() else b"<absent>")
    return h.hexdigest()


def one_clear_line(done: subprocess.CompletedProcess[str], reason: str) -> str:
    """The command failed with exit code 1 and one `error:` line naming the reason."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: database sqlite:"), done.stderr
    assert reason in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def read_only(sqlite_db_url: str) -> Iterator[Path]:
    """The test's database file and its directory made read-only; restored afterwards."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    path = Path(sqlite_db_url.removeprefix("sqlite:///"))
    os.chmod(path, 0o444)
    os.chmod(path.parent, 0o555)
    yield path
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)


def test_a_read_only_database_gives_one_clear_line(
    sqlite_db_url: str, read_only: Path, tmp_path: Path
) -> None:
    prefix = NO_OVERRIDE if os.geteuid() == 0 else None
    before = digest(read_only)
    reason = "attempt to write a readonly database"
    port = str(free_port())
    messages = [
        one_clear_line(hyperzoom_run("serve", "--db", sqlite_db_url, "--port", port,
                                     prefix=prefix), reason),
        one_clear_line(hyperzoom_run("worker", "--db", sqlite_db_url, "--idle-exit", "1",
                                     prefix=prefix), reason),
        one_clear_line(hyperzoom_run("experiment", "create", "x", "--objective", "bowl",
                                     "--trials", "3", "--db", sqlite_db_url, prefix=prefix),
                       reason),
    ]  # fmt: skip
    assert digest(read_only) == before
    assert sorted(p.name for p in read_only.parent.iterdir()) == [read_only.name]
    record("disk-read-only", commands=3, messages=messages, file_changed=False)


def test_not_a_database_and_no_such_directory(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database\n" * 200)
    before = digest(junk)
    url = f"sqlite:///{junk}"
    port = str(free_port())
    one_clear_line(hyperzoom_run("serve", "--db", url, "--port", port), "file is not a database")
    one_clear_line(hyperzoom_run("db", "upgrade", "--db", url), "file is not a database")
    assert digest(junk) == before
    missing = f"sqlite:///{tmp_path}/no/such/dir/hz.db"
    one_clear_line(
        hyperzoom_run("serve", "--db", missing, "--port", port), "unable to open database file"
    )
    assert not (tmp_path / "no").exists()


def test_a_full_disk_loses_no_acknowledged_write(sqlite_db_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    path = Path(sqlite_db_url.removeprefix("sqlite:///"))
    engine = make_engine(sqlite_db_url)
    factory = make_sessionmaker(engine)
    try:
        with TestClient(create_app(Settings(database_url=sqlite_db_url))) as client:
            base = client.post("/api/experiments", json={"name": "base", "objective": "bowl"})
            assert base.status_code == 201
        before = exports(factory)
    finally:
        engine.dispose()
    limit = path.stat().st_size + 24_000  # a few experiments fit, then the disk is "full"

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--db", sqlite_db_url, "--port", str(port),
             "--log-level", "warning"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, preexec_fn=small_disk,
        )  # fmt: skip
    acknowledged: list[int] = []
    failure: httpx.Response | None = None
    try:
        with httpx.Client(base_url=url, timeout=30) as api:
            wait_for(lambda: server.poll() is not None or _answers(api), 40, "the server")
            for i in range(200):
                body = {"name": f"filler {i} " + "x" * 150, "objective": "bowl"}
                response = api.post("/api/experiments", json=body)
                if response.status_code != 201:
                    failure = response
                    break
                acknowledged.append(response.json()["id"])
            assert failure is not None, "the disk never filled up"
            assert failure.status_code == 503, failure.text
            reads = api.get("/api/experiments")  # reads go on, on the same connection
            assert reads.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = make_engine(sqlite_db_url)
    try:
        checks = check_integrity(engine)
        after = exports(make_sessionmaker(engine))
    finally:
        engine.dispose()
    assert set(after) == set(before) | set(acknowledged)  # nothing lost, nothing half-made
    assert {i: after[i] for i in before} == before
    record(
        "disk-full",
        fault="RLIMIT_FSIZE on the server, database + 24 kB",
        writes_acknowledged=len(acknowledged),
        failed_write_status=failure.status_code,
        failed_write_body=failure.text[:100],
        reads_during_full_disk=reads.status_code,
        acknowledged_writes_lost=0,
        partial_writes_left=0,
        integrity=checks,
        seconds=round(time.monotonic() - started, 1),
    )


def _answers(api: httpx.Client) -> bool:
    try:
        return api.get("/openapi.json").status_code == 200
    except httpx.TransportError:
        return False


# Found by this drill; see docs/reliability.md. Strict: remove the mark once fixed.
def test_a_failed_write_answers_with_a_clear_message(sqlite_db_url: str) -> None:
    app = create_app(Settings(database_url=sqlite_db_url))

    def disk_error(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            import sqlite3

            raise sqlite3.OperationalError("disk I/O error")

    event.listen(app.state.engine, "before_cursor_execute", disk_error)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/experiments", json={"name": "x", "objective": "bowl"})
    assert response.status_code == 503
    assert "disk I/O error" in response.json()["message"]


def _create(client: httpx.Client, name: str) -> httpx.Response:
    space = {"x": {"type": "float", "low": 0.0, "high": 1.0}}
    return client.post(
        "/api/experiments", json={"name": name, "objective": "bowl", "space": space}
    )


def test_a_deleted_or_replaced_file_stops_acknowledging_writes(
    sqlite_db_url: str, tmp_path: Path
) -> None:
    """Issue 14, item 16: writes to a file nobody can open again are refused, not acknowledged."""
    path = Path(sqlite_db_url.removeprefix("sqlite:///"))
    other = tmp_path / "other.db"
    shutil.copy(path, other)
    with (
        running_server(sqlite_db_url, tmp_path / "server.log") as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        assert _create(client, "before").status_code == 201
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        answers = [_create(client, f"after-{i}") for i in range(3)]
        assert [a.status_code for a in answers] == [503, 503, 503], [a.text for a in answers]
        assert "deleted or replaced" in answers[0].json()["message"]
        assert answers[0].headers["Retry-After"]
        shutil.copy(other, path)  # a different file at the same path
        replaced = _create(client, "replaced")
        assert replaced.status_code == 503 and "deleted or replaced" in replaced.text
    record("deleted file", writes_after_deletion=3, acknowledged=0)


def test_a_file_made_read_only_while_serving_refuses_every_write(
    sqlite_db_url: str, tmp_path: Path
) -> None:
    """Issue 14, item 16: chmod 444 mid-run gives 503 for every write and 200 for reads."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    path = Path(sqlite_db_url.removeprefix("sqlite:///"))
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [*NO_OVERRIDE, sys.executable, "-m", "app", "serve", "--db", sqlite_db_url,
         "--port", str(port), "--workers", "2"],
        cwd=ROOT, stdout=log, stderr=log,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_for(lambda: _answers(client), 30, "the server")
            for i in range(6):  # open connections in both server processes
                assert _create(client, f"before-{i}").status_code == 201
            os.chmod(path, 0o444)
            answers = [_create(client, f"after-{i}").status_code for i in range(8)]
            assert answers == [503] * 8
            assert client.get("/api/experiments").status_code == 200
    finally:
        os.chmod(path, 0o644)
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/api/experiments").status_code == 200
    except httpx.TransportError:
        return False
