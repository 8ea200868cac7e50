"""Command objectives from hyperzoom.toml: values passed safely, JSON lines read as results."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.core.states import TrialState
from app.worker.isolate import Sandbox
from app.worker.registry import ObjectiveError, from_config

SCRIPT = """
import json, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
lr = float(args["--lr"])
for step in range(3):
    print(json.dumps({"step": step, "value": lr * (step + 1)}), flush=True)
print("some log line that is not JSON")
print(json.dumps({"loss": lr * 10, "tag": args["--tag"]}))
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A hyperzoom.toml with one command objective and its script."""
    (tmp_path / "train.py").write_text(SCRIPT)
    path = tmp_path / "hyperzoom.toml"
    path.write_text(
        f"""
[objectives.train]
command = "{sys.executable} train.py --lr {{learning_rate}} --tag {{tag}}"
direction = "minimize"
metric = "loss"

[objectives.train.space]
learning_rate = {{ type = "float", low = 1e-5, high = 1.0, log = true }}
"""
    )
    return path


def test_a_command_objective_reports_its_curve_and_result(config: Path, tmp_path: Path) -> None:
    spec = from_config(config)["train"]
    assert spec.direction == "minimize" and spec.space["learning_rate"]["log"] is True
    curve: list[tuple[int, float]] = []
    sandbox = Sandbox()
    try:
        # A value that a shell would run is passed as one plain argument.
        hostile = f"x; touch {tmp_path}/pwned $(touch {tmp_path}/pwned2)"
        outcome = sandbox.evaluate(
            spec,
            {"learning_rate": 0.01, "tag": hostile},
            lambda s, v: curve.append((s, v)) or False,
        )
    finally:
        sandbox.close()
    assert outcome.state is TrialState.COMPLETE and outcome.value == pytest.approx(0.1)
    assert outcome.metrics == {"tag": hostile}
    assert curve == [(0, 0.01), (1, 0.02), (2, pytest.approx(0.03))]
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_a_failing_command_fails_the_trial_with_its_stderr(tmp_path: Path) -> None:
    path = tmp_path / "hyperzoom.toml"
    path.write_text(
        f"[objectives.broken]\ncommand = \"{sys.executable} -c 'import sys; "
        f'sys.exit(\\"bad input {{x}}\\")\'"\n'
    )
    sandbox = Sandbox()
    try:
        outcome = sandbox.evaluate(from_config(path)["broken"], {"x": 3}, lambda s, v: False)
        missing = sandbox.evaluate(from_config(path)["broken"], {}, lambda s, v: False)
    finally:
        sandbox.close()
    assert outcome.state is TrialState.FAILED and "bad input 3" in outcome.error
    assert "exited with code 1" in outcome.error
    assert "names {x}, which this trial does not have" in missing.error


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[objectives.a]\ndirection = 'minimize'\n", "needs a `command`"),
        ("[objectives.a]\ncommand = 'x'\ndirection = 'up'\n", "minimize or maximize"),
        ("[objectives.a]\ncommand = 'x'\nshell = true\n", "unknown key 'shell'"),
        ("not toml at all [", "cannot read objectives"),
    ],
)
def test_a_bad_config_is_a_clear_error(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "hyperzoom.toml"
    path.write_text(text)
    with pytest.raises(ObjectiveError, match=problem):
        from_config(path)
