"""A remote worker takes its token from the environment or a file, never from argv where `ps`
shows it to every user of the machine; a worker token is all it needs."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import hyperzoom, running_server

pytestmark = pytest.mark.slow
ADMIN = "admin-s3cret"
WORKER = "worker-s3cret-in-no-argv"


def clean_env(**extra: str) -> dict[str, str]:
    """This environment minus any token, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k}
    return {**env, **extra}


def run_worker(url: str, tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """Run a remote worker until idle; (exit code, its argv as `ps` shows it, its stderr)."""
    err = tmp_path / "worker.err"
    with err.open("wb") as stderr:
        process = hyperzoom(
            "worker", "--server", url, "--poll", "0.05", "--idle-exit", "1", *args,
            stdout=subprocess.DEVNULL, stderr=stderr, env=clean_env(**env),
        )  # fmt: skip
    time.sleep(0.5)
    shown = Path(f"/proc/{process.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return process.wait(timeout=90), shown, err.read_text()


def search_of(url: str) -> int:
    body = {"name": "remote", "objective": "bowl", "search": {"n_trials": 3}}
    auth = {"Authorization": f"Bearer {ADMIN}"}
    created = httpx.post(f"{url}/api/experiments", json=body, headers=auth, timeout=10)
    assert created.status_code == 201, created.text
    return created.json()["root_search_id"]


def complete(url: str, search_id: int) -> int:
    search = httpx.get(f"{url}/api/searches/{search_id}", timeout=10).json()
    return search["counts"]["complete"]


@pytest.mark.parametrize("source", ["file", "worker variable", "admin variable"])
def test_a_worker_reads_its_token_from_a_file_or_the_environment(
    db_url: str, tmp_path: Path, source: str
) -> None:
    token_file = tmp_path / "worker-token"
    token_file.write_text(WORKER + "\n")
    args, env = {
        "file": (["--token-file", str(token_file)], {}),
        "worker variable": ([], {"HYPERZOOM_WORKER_TOKEN": WORKER}),
        "admin variable": ([], {"HYPERZOOM_TOKEN": ADMIN}),
    }[source]
    server_env = {"HYPERZOOM_TOKEN": ADMIN, "HYPERZOOM_WORKER_TOKEN": WORKER}
    with running_server(db_url, tmp_path / "server.log", **server_env) as url:
        search_id = search_of(url)
        code, shown, stderr = run_worker(url, tmp_path, *args, **env)
        assert code == 0, stderr
        assert complete(url, search_id) == 3
    assert WORKER not in shown and ADMIN not in shown
    assert "`ps`" not in stderr  # no warning


def test_token_on_the_command_line_still_works_but_warns(db_url: str, tmp_path: Path) -> None:
    with running_server(db_url, tmp_path / "server.log", HYPERZOOM_WORKER_TOKEN=WORKER) as url:
        code, _, stderr = run_worker(url, tmp_path, "--token", WORKER)
    assert code == 0, stderr
    assert "--token" in stderr and "`ps`" in stderr and "--token-file" in stderr


def test_an_unusable_token_file_stops_the_worker_with_one_line(
    db_url: str, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    with running_server(db_url, tmp_path / "server.log", HYPERZOOM_WORKER_TOKEN=WORKER) as url:
        code, _, stderr = run_worker(url, tmp_path, "--token-file", str(empty))
    assert code == 1 and "token file" in stderr and "Traceback" not in stderr
