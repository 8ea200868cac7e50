"""Fixtures: every test gets its own database, migrated by the real Alembic migrations.

SQLite by default (a copied file). PostgreSQL on request (`postgresql_db_url`, `pg_database`,
or `db_url` parametrized by a directory's conftest): see the plugin tests/support/postgres.py.
Helpers shared by test modules live in tests/support/ (test modules never import each other).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.settings import Settings
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.migrate import upgrade
from tests.support.processes import running_server

pytest_plugins = ["tests.support.postgres", "tests.support.browser", "tests.support.dashboard"]

# No server of the suite builds kept columns as it starts (a thread reading the database beside
# the test); tests/store/test_column_warmup.py turns it on where it is the subject.
os.environ["HYPERZOOM_WARM_COLUMNS"] = "false"


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


@pytest.fixture
def live_server(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A real `hyperzoom serve` process on a free port; yields its base URL."""
    with running_server(db_url, tmp_path / "server.log") as url:
        yield url
    if getattr(request.node, "failed", False):
        print("server log:", (tmp_path / "server.log").read_text(), sep="\n")


_PG_FIXTURES = {"postgresql_db_url", "pg_database", "pg_server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what runs on PostgreSQL or starts a real server, so the inner loop (`make check`)
    can leave it to CI (`make test` runs everything)."""
    for item in items:
        params = getattr(item, "callspec", None)
        values = params.params.values() if params is not None else ()
        fixtures = set(getattr(item, "fixturenames", ()))
        if "postgresql" in values or _PG_FIXTURES & fixtures:
            item.add_marker(pytest.mark.postgresql)
        if "live_server" in fixtures or "server" in values:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Mark a test item as failed so fixtures can save diagnostics at teardown."""
    report = yield
    if report.when == "call" and report.failed:
        item.failed = True  # type: ignore[attr-defined]
    return report
