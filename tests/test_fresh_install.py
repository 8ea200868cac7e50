"""`pip install .` (not editable) into a fresh virtual environment, then the five lines of
issue 19 with a pruner against a SQLite file and against that installation's own server; the
trials show through the API the page reads. About a minute: most of it is the install (a warm
pip cache makes it 30 s here; the packages come from the registry)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ROOT, free_port, stop
from tests.support.python_api import FIVE_LINES_SCRIPT, page_columns


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    run = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, f"{args}\n{run.stdout}\n{run.stderr}"
    return run.stdout


def _five_lines(python: Path, where: str, cwd: Path, env: dict[str, str]) -> dict:
    out = _run([str(python), "-W", "error", "-c", FIVE_LINES_SCRIPT, where], cwd, env)
    found = json.loads(out.strip().splitlines()[-1])
    assert {"complete", "pruned"} <= set(found["states"]) and len(found["states"]) == 30
    assert len(found["child"]) == 20 and found["reopened"] == found["best"]
    return found


@pytest.mark.slow
def test_a_fresh_install_runs_the_five_lines(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HYPERZOOM_", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))
    )
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    started = time.monotonic()
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, str(ROOT)], tmp_path, env)
    print(f"pip install took {time.monotonic() - started:.0f} s")
    python = venv / "bin" / "python"
    work = tmp_path / "work"  # not the checkout: only the installed packages can be imported
    work.mkdir()

    found = _five_lines(python, "db=sqlite:///runs.db", work, env)
    installed = str(venv / "lib")
    assert all(f.startswith(installed) for f in found["files"]), found["files"]
    assert found["url"] is None and (work / "runs.db").exists()

    db = f"sqlite:///{tmp_path / 'served.db'}"
    _run([str(venv / "bin" / "hyperzoom"), "db", "upgrade", "--db", db], work, env)
    port = free_port()
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [str(venv / "bin" / "hyperzoom"), "serve", "--db", db, "--port", str(port)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, server, tmp_path / "server.log")
        found = _five_lines(python, f"server={url}", work, env)
        assert found["url"].startswith(f"{url}/experiments/{found['experiment']}")
        assert httpx.get(found["url"]).status_code == 200
        columns = page_columns(url, found["experiment"])
        assert len(columns["id"]) == 50
        assert sorted(columns["state"]) == sorted(found["states"] + found["child"])
    finally:
        stop(server)


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
