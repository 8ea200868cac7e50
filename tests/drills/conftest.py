"""Shared pieces of the reliability drills: real processes, fault injection, the checks.

Every drill starts real `hyperzoom` processes on 127.0.0.1, injects faults (SIGKILL, a stopped
database, a held lock, a full disk), then checks the stored data. Figures go to
test-artifacts/drills.jsonl (one JSON line per drill) for docs/reliability.md.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
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


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright (as tests/test_browser.py does).

    Module scope: only one Playwright sync driver may run at a time, and the browser tests'
    own fixture starts another after the drills.
    """
    from tests.support.browser import CHROMIUM_ARGS

    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (/usr/bin/chromium)")
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
