"""Requests run in a child process under a memory ceiling, timed one by one (issue 14, 6-9).

A bounded-work test must fail on code that is not bounded without taking the machine with it:
the child has an address-space limit, so a runaway allocation fails there at once, and a
timeout, so a runaway loop ends too. Each step reports its status, seconds and the child's
peak RSS after it, next to the RSS of the child once the app was up.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
_PRELUDE = """
import json, resource, sys, time
limit = int(sys.argv[2]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from fastapi.testclient import TestClient
from app.main import create_app
from app.settings import Settings

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

client = TestClient(create_app(Settings(database_url=sys.argv[1])), raise_server_exceptions=False)
client.__enter__()
steps = {"app": {"status": 0, "seconds": 0.0, "peak_mb": peak_mb(), "body": None}}

def step(label, method, path, **kwargs):
    started = time.perf_counter()
    response = client.request(method, path, **kwargs)
    seconds = time.perf_counter() - started
    try:
        body = response.json()
    except ValueError:
        body = response.text[:500]
    steps[label] = {"status": response.status_code, "seconds": seconds,
                    "peak_mb": peak_mb(), "body": body}
    return body
"""


@dataclass(frozen=True)
class Step:
    """What one request of the child did."""

    status: int
    seconds: float
    peak_mb: float
    body: Any


def run_requests(
    code: str, template: Path, tmp_path: Path, *, timeout: float = 60, memory_mb: int = 1500
) -> dict[str, Step]:
    """Run `code` (which calls `step(label, method, path, json=...)`) in a fresh app."""
    db = tmp_path / "bounded.db"
    shutil.copy(template, db)
    script = _PRELUDE + textwrap.dedent(code) + "\nprint(json.dumps(steps))\n"
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, f"sqlite:///{db}", str(memory_mb)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the requests took over {timeout} s", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"the child failed ({done.returncode}):\n{done.stderr[-3000:]}", False)
    steps = json.loads(done.stdout.strip().splitlines()[-1])
    return {label: Step(**fields) for label, fields in steps.items()}


def growth_mb(steps: dict[str, Step], label: str) -> float:
    """How far the child's peak RSS rose above its level once the app was up."""
    return steps[label].peak_mb - steps["app"].peak_mb
