"""The `hyperzoom` command: migrate, refuse unsafe or broken setups with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import DEMO_NAME, cli, seed_demo
from app.settings import Settings
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.experiments import list_experiments

runner = CliRunner()


def test_db_upgrade_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for _ in range(2):
        result = runner.invoke(cli, ["db", "upgrade", "--db", url])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output


def test_worker_on_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["worker", "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 1
    assert "run `hyperzoom db upgrade`" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"
    result = runner.invoke(cli, ["db", "upgrade", "--db", url])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: database")
    assert "Traceback" not in result.stderr
    pg = "postgresql+psycopg://me:hunter2@127.0.0.1:1/db"
    result = runner.invoke(cli, ["db", "upgrade", "--db", pg])
    assert result.exit_code == 1
    assert "hunter2" not in result.stderr


def test_serve_refuses_a_public_address_without_a_token(db_url: str) -> None:
    result = runner.invoke(cli, ["serve", "--db", db_url, "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "without an API token" in result.stderr


def test_a_malformed_objective_flag_is_refused(db_url: str) -> None:
    result = runner.invoke(cli, ["worker", "--db", db_url, "--objective", "not-a-target"])
    assert result.exit_code == 1
    assert "package.module:function" in result.stderr


@pytest.mark.parametrize("args", [["serve", "--port", "0"], ["worker", "--processes", "0"]])
def test_bad_flags_are_usage_errors(args: list[str]) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "Invalid value" in result.stderr


def test_seeding_the_demo_twice_keeps_one_demo(settings: Settings) -> None:
    first = seed_demo(settings, n_trials=60)
    assert seed_demo(settings, n_trials=60) == first
    engine = make_engine(settings.database_url)
    with session_scope(make_sessionmaker(engine)) as s:
        experiments = list_experiments(s)
        assert [e.name for e in experiments] == [DEMO_NAME]
        [root] = experiments[0].searches
        assert root.n_trials == 60 and root.sampler == "random"
        assert set(root.space) == {
            "learning_rate_init",
            "momentum",
            "hidden_units",
            "layers",
            "batch_size",
            "alpha",
            "solver",
            "beta_1",
            "beta_2",
            "lr_decay",
        }
    engine.dispose()


def test_the_demo_gives_a_lost_trial_up_after_15_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.cli.main import demo_settings

    monkeypatch.delenv("HYPERZOOM_HEARTBEAT_TIMEOUT", raising=False)
    assert demo_settings(None).heartbeat_timeout == 15
    monkeypatch.setenv("HYPERZOOM_HEARTBEAT_TIMEOUT", "40")
    assert demo_settings(None).heartbeat_timeout == 40


@pytest.mark.slow
def test_demo_serves_runs_workers_and_stops_them_all(tmp_path: Path) -> None:
    import signal
    import subprocess
    import time

    import httpx

    from tests.support.processes import free_port, hyperzoom

    db = tmp_path / "demo.db"
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = hyperzoom(
            "demo",
            "--db",
            f"sqlite:///{db}",
            "--port",
            str(port),
            "--trials",
            "6",
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                [experiment] = httpx.get(f"http://127.0.0.1:{port}/api/experiments").json()
                if experiment["counts"]["complete"] >= 2:
                    break
            except (httpx.TransportError, ValueError):
                pass
            assert demo.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        assert experiment["objective"] == "mlp-digits"
        assert "Open http://127.0.0.1:" in log.read_text()
        workers = subprocess.run(["pgrep", "-f", "app worker"], capture_output=True, text=True)
        environments = [
            Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            for pid in workers.stdout.split()
            if str(db).encode() in Path(f"/proc/{pid}/environ").read_bytes()
        ]
        assert environments, "no worker of this demo found"
        assert all(b"HYPERZOOM_HEARTBEAT_TIMEOUT=15.0" in env for env in environments)
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
    time.sleep(1)
    left = subprocess.run(["pgrep", "-f", str(db)], capture_output=True, text=True).stdout
    assert left.strip() == "", "worker processes outlived the demo"


def test_a_plain_install_prints_no_deprecation_advice(db_url: str) -> None:
    """Without httpx2 (a plain `pip install`, no test tools), Starlette's test client warns
    that test suites should move to it; `--db` uses that client as a transport and must not
    print the advice (issue 19)."""
    import subprocess
    import sys

    program = (
        "import sys; sys.modules['httpx2'] = None\n"  # as if it were not installed
        "from app.cli.main import main\n"
        "sys.argv = ['hyperzoom', 'experiment', 'create', 'plain', '--objective', 'bowl',"
        f" '--trials', '2', '--db', {db_url!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "created" in done.stdout and "Warning" not in done.stderr, done.stderr
