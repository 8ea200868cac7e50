"""The experiment, search and status commands, against a real server and straight on a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from tests.support.workers import in_process

runner = CliRunner()
SPACE = {
    "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
}


def run(*args: str) -> str:
    """Run a command that must succeed; its output."""
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result.output


def fail(*args: str) -> str:
    """Run a command that must fail cleanly; its stderr."""
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    return result.stderr


@pytest.fixture(params=["db", "server"])
def target(request: pytest.FixtureRequest, db_url: str) -> list[str]:
    """Either --db URL or --server URL of a live server on the same database."""
    if request.param == "db":
        return ["--db", db_url]
    return ["--server", request.getfixturevalue("live_server")]


def test_create_refine_suggest_and_status(target: list[str], factory, tmp_path: Path) -> None:
    space_file = tmp_path / "space.yaml"
    space_file.write_text(json.dumps(SPACE))  # JSON is YAML too
    out = run(
        "experiment",
        "create",
        "cli sweep",
        "--objective",
        "bowl",
        "--space",
        str(space_file),
        "--trials",
        "10",
        "--seed",
        "3",
        *target,
    )
    assert "experiment 1 created; search 1 queued with 10 trials" in out
    in_process(factory, lambda p: p["x"], _bowl()).run(idle_exit=0)
    listed = run("experiment", "list", *target)
    assert "cli sweep" in listed and "10/10" in listed
    suggested = run(
        "search", "suggest-region", "1", "--refine", "4", "--sampler", "sobol", *target
    )
    assert "from the best of 10 trials" in suggested and "search 2 created" in suggested
    assert "best trial so far: trial" in suggested and "inside this search's space" in suggested
    assert "the best trials sit: learning_rate" in suggested  # interior, at an edge or unclear
    kept = run("search", "suggest-region", "1", "--no-keep-incumbent", *target)
    assert "from the best of 10 trials" in kept
    refined = run(
        "search",
        "refine",
        "1",
        "--region",
        "learning_rate=1e-4:1e-2",
        "--region",
        "x=0.1:0.5",
        "--trials",
        "5",
        *target,
    )
    assert "search 3 created over learning_rate 0.0001..0.01; x 0.1..0.5" in refined
    status = run("status", *target)
    assert "sobol" in status and "0/5" in status
    shown = run("experiment", "show", "1", *target)
    assert "learning_rate" in shown


def test_bad_input_is_one_line_and_changes_nothing(target: list[str], factory) -> None:
    run("experiment", "create", "e", "--objective", "bowl", "--trials", "3", *target)
    message = fail("search", "refine", "1", "--region", "learning_rate=1e-9:1e-2", *target)
    assert "lies outside the parent's range" in message and "HTTP 422" in message
    assert "unknown sampler" in fail(
        "search", "refine", "1", "--region", "x=0.1:0.2", "--sampler", "magic", *target
    )
    assert "not a registered objective" in fail(
        "experiment", "create", "e2", "--objective", "rm -rf /", *target
    )
    status = run("status", *target)
    assert status.count("\n│ ") >= 1 and "│ 2 " not in status


def test_a_bad_region_flag_is_a_usage_error(db_url: str) -> None:
    result = runner.invoke(cli, ["search", "refine", "1", "--region", "lr", "--db", db_url])
    assert result.exit_code == 2
    assert "NAME=LOW:HIGH" in result.stderr


def _bowl():  # a spec named like the experiment's objective, evaluated in this process
    from app.objectives import BUILTINS

    return BUILTINS["bowl"]


def test_notes_from_the_command_line(target: list[str]) -> None:
    """`experiment note`, `search note` (print, set, --clear) and `search refine --note`, as
    the page keeps them: through the API, so it refuses and stores the same."""
    run("experiment", "create", "noted", "--objective", "bowl", "--trials", "3", *target)
    assert run("experiment", "note", "1", *target).strip() == "experiment 1 has no note"
    markup = "[bold]is adam better?[/bold] <b>& so on</b>"
    assert "note on experiment 1 saved" in run("experiment", "note", "1", markup, *target)
    assert run("experiment", "note", "1", *target).strip() == markup  # as typed, not styled
    assert markup in run("experiment", "show", "1", *target)
    assert "note on search 1 saved" in run("search", "note", "1", "coarse first", *target)
    assert run("search", "note", "1", *target).strip() == "coarse first"
    refined = run(
        "search", "refine", "1", "--region", "x=0.1:0.3", "--note", "x < 0.3 wins", *target
    )
    assert "search 2 created" in refined
    assert run("search", "note", "2", *target).strip() == "x < 0.3 wins"
    shown = run("experiment", "show", "1", *target)
    assert "search 1: coarse first" in shown and "search 2: x < 0.3 wins" in shown

    assert "note on search 2 cleared" in run("search", "note", "2", "--clear", *target)
    assert run("search", "note", "2", *target).strip() == "search 2 has no note"
    assert "note on experiment 1 cleared" in run("experiment", "note", "1", "--clear", *target)
    assert "experiment 1 has no note" in run("experiment", "note", "1", *target)

    message = fail("search", "note", "1", "x" * 10_001, *target)
    assert "note: String should have at most 10000 characters" in message
    assert "HTTP 422" in message
    assert run("search", "note", "1", *target).strip() == "coarse first"
    assert "HTTP 404" in fail("experiment", "note", "7", "hello", *target)
    both = runner.invoke(cli, ["search", "note", "1", "text", "--clear", *target])
    assert both.exit_code == 2 and "not both" in both.stderr
