"""A pytest plugin: PostgreSQL for the tests that ask for it.

A throwaway cluster (initdb + pg_ctl from Debian's `postgresql` package) is started once per
session on 127.0.0.1, or the server of HYPERZOOM_TEST_PG_URL is used; each test gets a fresh
database copied from one migrated template (`postgresql_db_url`, or `pg_database()` for more).
Without PostgreSQL the cases are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import URL, Engine, create_engine, make_url

from app.store.migrate import upgrade
from tests.support.processes import free_port

PG_TEMPLATE = "hz_template"
_PG_NUMBERS = itertools.count()


class PgServer(NamedTuple):
    """A PostgreSQL server for the tests: where to connect as a superuser, and a name prefix."""

    admin_url: URL
    prefix: str  # empty on our own cluster; unique per session on a shared server


def pg_bindir() -> Path | None:
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


def run_pg(*command: str | Path) -> None:
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


class Cluster:
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
        run_pg(self.bindir / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
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
            run_pg(self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                 "start")  # fmt: skip
        except RuntimeError as error:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{error}\nserver log:\n{log}") from None

    def remove(self) -> None:
        """Stop the server (fast, else immediate) and delete the cluster."""
        try:
            if self.started and (self.data / "postmaster.pid").exists():
                pg_ctl = self.bindir / "pg_ctl"
                try:
                    run_pg(pg_ctl, "-D", self.data, "-m", "fast", "-w", "stop")
                except RuntimeError:
                    run_pg(pg_ctl, "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def no_postgres() -> None:
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
    bindir = pg_bindir()
    if bindir is None:
        no_postgres()
    cluster = Cluster(bindir)
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
