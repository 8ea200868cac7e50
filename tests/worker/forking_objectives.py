"""Objectives that leave processes behind (issue 14, item 15): each writes the pid of what it
started to a file in $HZ_TEST_PIDS, so a test can check that the trial's end ended it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def _note(pid: int) -> None:
    """Record a pid the test must find gone."""
    Path(os.environ["HZ_TEST_PIDS"], str(pid)).write_text("")


def _linger() -> None:
    """What a forgotten helper does: outlive everything, quietly."""
    time.sleep(3600)
    os._exit(0)


def _fork(escape: bool) -> None:
    """A plain child, or (`escape`) a daemon: fork, setsid, fork again, the middle one exits, so
    the last one has a session of its own and no living parent."""
    before = len(os.listdir(os.environ["HZ_TEST_PIDS"]))
    pid = os.fork()
    if pid == 0:
        if escape:
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
        _note(os.getpid())
        _linger()
    if escape:
        os.waitpid(pid, 0)
    deadline = time.monotonic() + 5
    while len(os.listdir(os.environ["HZ_TEST_PIDS"])) == before and time.monotonic() < deadline:
        time.sleep(0.01)


def forks(params: dict[str, Any]) -> float:
    """Starts a helper and a daemon, returns x."""
    _fork(False)
    _fork(True)
    return float(params["x"])


def forks_and_fails(params: dict[str, Any]) -> float:
    """Starts a helper and a daemon, then raises."""
    _fork(False)
    _fork(True)
    raise RuntimeError("failed after starting helpers")


def forks_and_hangs(params: dict[str, Any]) -> float:
    """Starts a helper and a daemon, then never returns."""
    _fork(False)
    _fork(True)
    time.sleep(3600)
    return 0.0
