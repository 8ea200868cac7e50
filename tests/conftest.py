"""Fixtures: every test gets its own database, migrated by the real Alembic migrations.

SQLite by default (a copied file). PostgreSQL on request (`postgresql_db_url`, `pg_database`):
a throwaway cluster started once per session, or the server of HYPERZOOM_TEST_PG_URL.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import URL, Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.settings import Settings
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated to head; tests copy it instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "hz.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_db_url(tmp_path: Path, migrated_template: Path) -> str:
    """A fresh, migrated SQLite database for this test."""
    path = tmp_path / "hz.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db_url(sqlite_db_url: str) -> str:
    """This test's database: SQLite here; tests/store and tests/worker add PostgreSQL."""
    return sqlite_db_url


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings pointing at this test's database, with a quick poll for pages."""
    return Settings(database_url=db_url, poll_interval=0.3)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on this test's database."""
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory on this test's database."""
    return make_sessionmaker(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed at the end of the test."""
    with session_scope(factory) as s:
        yield s


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client of an app on this test's database, lifespan included."""
    with TestClient(create_app(settings)) as c:
        yield c


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PG_TEMPLATE = "hz_template"
_PG_NUMBERS = itertools.count()


class PgServer(NamedTuple):
    """A PostgreSQL server for the tests: where to connect as a superuser, and a name prefix."""

    admin_url: URL
    prefix: str  # empty on our own cluster; unique per session on a shared server


def _pg_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb and pg_ctl, else the PATH's."""
    debian = [d for d in Path("/usr/lib/postgresql").glob("*/bin") if d.parent.name.isdigit()]
    candidates = sorted(debian, key=lambda d: int(d.parent.name), reverse=True)
    if on_path := shutil.which("pg_ctl"):
        candidates.append(Path(on_path).parent)
    usable = (d for d in candidates if (d / "initdb").exists() and (d / "pg_ctl").exists())
    return next(usable, None)


def _as_pg_user(*command: str | Path) -> list[str]:
    """The command, run as the `postgres` user when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return [str(c) for c in command]
    return ["runuser", "-u", "postgres", "--", *map(str, command)]


def _run(*command: str | Path) -> None:
    """Run a PostgreSQL tool; on failure raise with everything it printed."""
    done = subprocess.run(_as_pg_user(*command), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def _pg_user() -> pwd.struct_passwd:
    """The `postgres` user, who runs the cluster when the tests run as root."""
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("PostgreSQL refuses to run as root and there is no `postgres` user", False)


class _Cluster:
    """A throwaway cluster in a temp dir, on 127.0.0.1 only, trust auth, no durability."""

    def __init__(self, bindir: Path) -> None:
        owner = _pg_user() if os.geteuid() == 0 else None
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="hz-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.started = False
        if owner is not None:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    def start(self) -> URL:
        """initdb, then pg_ctl start on a free port (retried if another process takes it)."""
        _run(self.bindir / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        # Unix socket plus loopback TCP, nothing else; trust is safe only because of that.
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        for attempt in range(3):
            port = free_port()
            try:
                self._start_on(port)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        return URL.create("postgresql+psycopg", "postgres", None, "127.0.0.1", port)

    def _start_on(self, port: int) -> None:
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        self.started = True  # even a failed start may leave a postmaster behind
        try:
            _run(self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                 "start")  # fmt: skip
        except RuntimeError as error:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{error}\nserver log:\n{log}") from None

    def remove(self) -> None:
        """Stop the server (fast, else immediate) and delete the cluster."""
        try:
            if self.started and (self.data / "postmaster.pid").exists():
                try:
                    _run(self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
                except RuntimeError:
                    _run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _no_postgres() -> None:
    """Skip the PostgreSQL cases, or fail them under CI, where they must run."""
    reason = (
        "PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin or on "
        "PATH): install Debian's `postgresql` package or set HYPERZOOM_TEST_PG_URL"
    )
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """HYPERZOOM_TEST_PG_URL's server, else a throwaway cluster for this session."""
    if url := os.environ.get("HYPERZOOM_TEST_PG_URL"):
        yield PgServer(make_url(url), f"hz{os.getpid()}_")
        return
    bindir = _pg_bindir()
    if bindir is None:
        _no_postgres()
    cluster = _Cluster(bindir)
    try:
        yield PgServer(cluster.start().set(database="postgres"), "")
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def pg_admin(pg_server: PgServer) -> Iterator[Engine]:
    """An autocommit engine on the server's maintenance database, for CREATE/DROP DATABASE."""
    engine = create_engine(pg_server.admin_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _drop_database(admin: Engine, name: str) -> None:
    """Drop a database even if a connection to it was left open (PostgreSQL 13+)."""
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer, pg_admin: Engine) -> Iterator[str]:
    """A database migrated to head once; each test's database is a copy of it."""
    name = pg_server.prefix + PG_TEMPLATE
    _drop_database(pg_admin, name)
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        upgrade(pg_server.admin_url.set(database=name).render_as_string(hide_password=False))
        yield name
    finally:
        _drop_database(pg_admin, name)


@pytest.fixture
def pg_database(
    pg_server: PgServer, pg_admin: Engine, pg_template: str
) -> Iterator[Callable[[], str]]:
    """Make fresh migrated PostgreSQL databases (URLs); all are dropped after the test."""
    made: list[str] = []

    def make() -> str:
        name = f"{pg_server.prefix}test_{next(_PG_NUMBERS)}"
        with pg_admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
        made.append(name)
        return pg_server.admin_url.set(database=name).render_as_string(hide_password=False)

    yield make
    for name in made:
        _drop_database(pg_admin, name)


@pytest.fixture
def postgresql_db_url(pg_database: Callable[[], str]) -> str:
    """A fresh, migrated PostgreSQL database for this test."""
    return pg_database()


def hyperzoom(*args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    """Start `hyperzoom ARGS` as a real process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **kwargs.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.Popen([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, **kwargs)  # type: ignore[call-overload]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process and wait for it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_server(db_url: str, log_path: Path, **env: str) -> Iterator[str]:
    """Run `hyperzoom serve` on a free port until the block ends; yields its base URL."""
    port = free_port()
    with log_path.open("wb") as log:
        process = hyperzoom(
            "serve", "--db", db_url, "--port", str(port), stdout=log, stderr=log, env=env
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log_path.read_text())
            time.sleep(0.1)
        yield url
    finally:
        stop(process)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def live_server(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A real `hyperzoom serve` process on a free port; yields its base URL."""
    with running_server(db_url, tmp_path / "server.log") as url:
        yield url
    if getattr(request.node, "failed", False):
        print("server log:", (tmp_path / "server.log").read_text(), sep="\n")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Mark a test item as failed so fixtures can save diagnostics at teardown."""
    report = yield
    if report.when == "call" and report.failed:
        item.failed = True  # type: ignore[attr-defined]
    return report
