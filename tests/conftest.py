"""Fixtures: every test gets its own SQLite file, migrated by the real Alembic migrations."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
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
def db_url(tmp_path: Path, migrated_template: Path) -> str:
    """A fresh, migrated SQLite database for this test."""
    path = tmp_path / "hz.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


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


@pytest.fixture
def live_server(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A real `hyperzoom serve` process on a free port; yields its base URL."""
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = hyperzoom("serve", "--db", db_url, "--port", str(port), stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/api/experiments", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError((tmp_path / "server.log").read_text())
        time.sleep(0.1)
    yield url
    stop(process)
    log.close()
    if getattr(request.node, "failed", False):
        print("server log:", (tmp_path / "server.log").read_text(), sep="\n")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Mark a test item as failed so fixtures can save diagnostics at teardown."""
    report = yield
    if report.when == "call" and report.failed:
        item.failed = True  # type: ignore[attr-defined]
    return report
