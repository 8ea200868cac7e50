"""Shared pieces of the reliability drills: real processes, fault injection, the checks.

Every drill starts real `hyperzoom` processes on 127.0.0.1, injects faults (SIGKILL, a stopped
database, a held lock, a full disk), then checks the stored data. Figures go to
test-artifacts/drills.jsonl (one JSON line per drill) for docs/reliability.md.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.drills import kill


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database on each backend in turn."""
    return request.getfixturevalue(f"{request.param}_db_url")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a drill started; whatever is still running at the end is killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            kill(process)


# `browser` is the plugin's (tests/support/browser.py); the drills' page tolerates dialogs.
@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; script errors fail the test."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    yield page
    context.close()
    assert problems == []
