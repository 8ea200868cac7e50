"""Drill: a database made by the first release (migration 0001) upgrades to head intact.

tests/fixtures/release-0001.sqlite3 was made by `upgrade(url, "0001")` and the plain SQL of
tests/fixtures/release-0001.sql; on PostgreSQL the same SQL is loaded into a database at 0001.
After `upgrade(url)`: the schema is at head, every row reads back as it was written, the trial
that was running gets a heartbeat (so the reaper can recover it), and a worker then finishes
every search's budget exactly.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from app.objectives import BUILTINS
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.migrate import check_schema, head_revision, upgrade
from app.store.recovery import reap_stale
from app.worker.backend import DatabaseBackend
from app.worker.isolate import InProcess
from app.worker.loop import Worker
from app.worker.registry import load
from tests.support.drills import check_integrity, check_searches, record
from tests.support.postgres import PgServer

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SQL = FIXTURES / "release-0001.sql"
COLUMNS = {
    "experiments": "id, name, objective, direction, space, seq",
    "searches": "id, experiment_id, parent_id, sampler, seed, n_trials, n_asked, n_finished, "
    "status, space, region",
    "trials": "id, experiment_id, search_id, number, state, params, value, error, worker, seq",
}


def rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The first release's columns of every row, JSON parsed, times left out (compared apart)."""
    import json

    found: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table, columns in COLUMNS.items():
            result = conn.execute(text(f"SELECT {columns} FROM {table} ORDER BY id"))
            found[table] = [
                tuple(json.loads(v) if isinstance(v, str) and v[:1] == "{" else v for v in row)
                for row in result
            ]
    return found


def times(engine: Engine) -> list[tuple[Any, ...]]:
    """The trials' timestamps as the app reads them."""
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT id, started_at, finished_at FROM trials ORDER BY id")
        ).all()


def revision(engine: Engine) -> str | None:
    """The database's Alembic revision."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def expected_rows() -> dict[str, list[tuple[Any, ...]]]:
    """What the fixture SQL wrote, read from a fresh copy of the SQLite fixture."""
    engine = make_engine(f"sqlite:///{FIXTURES / 'release-0001.sqlite3'}")
    try:
        return rows(engine)
    finally:
        engine.dispose()


def upgrade_and_check(url: str, written: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """Upgrade the 0001 database at `url` and check it; returns figures."""
    engine = make_engine(url)
    try:
        assert revision(engine) == "0001"
        before_times = times(engine)
        upgrade(url)
        assert revision(engine) == head_revision(url)
        check_schema(engine)
        assert rows(engine) == written
        after_times = times(engine)
        assert [(i, s) for i, s, _ in after_times] == [(i, s) for i, s, _ in before_times]
        with engine.connect() as conn:
            running = conn.execute(
                text("SELECT started_at, heartbeat_at, attempt, lost FROM trials WHERE id = 3")
            ).one()
        assert running.heartbeat_at == running.started_at  # the clock starts at its start
        assert (running.attempt, running.lost) == (0, 0)
        factory = make_sessionmaker(engine)
        with session_scope(factory) as s:  # its worker is long gone: the reaper recovers it
            assert reap_stale(s) == [3]  # by the policy the migration gave it: 60 s, 2 retries
        bowl = BUILTINS["bowl"]
        worker = Worker(
            DatabaseBackend(factory),
            {"bowl": bowl},
            evaluator=InProcess({"bowl": load(bowl.target)}),
        )
        ran = worker.run(idle_exit=0)
        totals = check_searches(factory)
        checks = check_integrity(engine)
        with engine.connect() as conn:
            retried = conn.execute(
                text("SELECT state, attempt, lost, params FROM trials WHERE id = 3")
            ).one()
        assert (retried.state, retried.attempt, retried.lost) == ("complete", 1, 1)
        return {
            "rows_kept": sum(len(v) for v in written.values()),
            "trials_run_after_upgrade": ran,
            "searches_finished": totals["searches"],
            "integrity": checks,
        }
    finally:
        engine.dispose()


def test_the_first_release_sqlite_database_upgrades_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "release-0001.sqlite3"
    shutil.copy(FIXTURES / "release-0001.sqlite3", path)
    written = expected_rows()
    assert len(written["trials"]) == 5 and written["experiments"][1][1].startswith("<b>ü")
    figures = upgrade_and_check(f"sqlite:///{path}", written)
    record("upgrade-0001-sqlite", **figures)


def test_the_first_release_postgresql_database_upgrades_with_its_data(
    pg_server: PgServer, pg_admin: Engine, request: pytest.FixtureRequest
) -> None:
    name = f"{pg_server.prefix}release_0001"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    drop: Callable[[], None] = lambda: _drop(pg_admin, name)  # noqa: E731
    request.addfinalizer(drop)
    url = pg_server.admin_url.set(database=name).render_as_string(hide_password=False)
    upgrade(url, "0001")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for statement in _statements(SQL.read_text()):
                conn.exec_driver_sql(statement)
            for table in COLUMNS:  # explicit ids: move the sequences past them
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    finally:
        engine.dispose()
    figures = upgrade_and_check(url, expected_rows())
    record("upgrade-0001-postgresql", **figures)


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";")]


def _drop(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
