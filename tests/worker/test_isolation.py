"""The sandbox: whatever an objective does to its process, one trial fails and work goes on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.states import TrialState
from app.objectives import ObjectiveSpec
from app.worker.isolate import Sandbox

MODULE = "tests.worker.objectives_for_tests"


def spec(name: str) -> ObjectiveSpec:
    """A spec for one of the misbehaving test objectives."""
    return ObjectiveSpec(name, f"{MODULE}:{name}", "minimize", name)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the module, as a worker keeps one."""
    box = Sandbox(memory_limit_mb=1024)
    yield box
    box.close()


def no_reports(step: int, value: float) -> bool:
    """A report callback that never prunes."""
    return False


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("raises", "RuntimeError: diverged at x=0.250"),
        ("segfault", "killed by SIGSEGV"),
        ("exits", "exited with code 3"),
        ("nan", "not a finite number"),
        ("hog", "out of memory"),
    ],
)
def test_a_misbehaving_objective_fails_one_trial_and_the_next_one_runs(
    sandbox: Sandbox, name: str, reason: str
) -> None:
    outcome = sandbox.evaluate(spec(name), {"x": 0.25}, no_reports)
    assert outcome is not None and outcome.state is TrialState.FAILED
    assert reason in outcome.error
    after = sandbox.evaluate(spec("ok"), {"x": 0.5}, no_reports)
    assert after is not None and (after.state, after.value) == (TrialState.COMPLETE, 0.5)


def test_a_hang_past_the_timeout_fails_the_trial(sandbox: Sandbox) -> None:
    outcome = sandbox.evaluate(spec("hangs"), {"x": 0.1}, no_reports, timeout=1.0)
    assert outcome is not None and outcome.state is TrialState.FAILED
    assert outcome.error == "timed out after 1 s"
    assert sandbox.evaluate(spec("ok"), {"x": 0.5}, no_reports).value == 0.5


def test_cancelling_stops_the_evaluation_and_returns_nothing(sandbox: Sandbox) -> None:
    calls = iter([False, False, True])
    assert (
        sandbox.evaluate(
            spec("hangs"), {"x": 0.1}, no_reports, cancelled=lambda: next(calls, True)
        )
        is None
    )


def test_reports_cross_the_process_boundary_and_pruning_stops_the_objective(
    sandbox: Sandbox,
) -> None:
    seen: list[tuple[int, float]] = []

    def prune_at_two(step: int, value: float) -> bool:
        seen.append((step, value))
        return step == 2

    outcome = sandbox.evaluate(spec("curve"), {"x": 0.5}, prune_at_two)
    assert seen == [(0, 0.5), (1, 1.0), (2, 1.5)]
    assert outcome is not None and (outcome.state, outcome.value) == (TrialState.PRUNED, 1.5)


def test_metrics_come_back_with_the_value(sandbox: Sandbox) -> None:
    outcome = sandbox.evaluate(spec("metrics"), {"x": 0.25}, no_reports)
    assert outcome.value == 0.25
    assert outcome.metrics == {"accuracy": 0.75, "note": "fine"}


def test_the_child_evaluates_without_the_database_layer_or_the_web_framework(
    sandbox: Sandbox,
) -> None:
    outcome = sandbox.evaluate(spec("imported"), {}, no_reports)
    assert outcome is not None and outcome.metrics == {"imported": ""}


def test_the_demo_network_learns_and_reports_each_epoch_so_it_can_be_pruned(
    sandbox: Sandbox,
) -> None:
    from app.objectives import BUILTINS

    demo = BUILTINS["mlp-digits"]
    good = {
        "learning_rate_init": 3e-3,
        "hidden_units": 64,
        "layers": 1,
        "batch_size": 64,
        "alpha": 1e-4,
        "lr_decay": 0.1,
        "solver": "adam",
        "beta_1": 0.9,
        "beta_2": 0.999,
    }
    curve: list[tuple[int, float]] = []
    outcome = sandbox.evaluate(demo, good, lambda s, v: curve.append((s, v)) or False)
    assert outcome.state is TrialState.COMPLETE and outcome.value > 0.93
    assert [s for s, _ in curve] == list(range(25)) and curve[-1][1] == outcome.value
    slow = {**good, "learning_rate_init": 1e-5, "solver": "sgd", "momentum": 0.5}
    stopped = sandbox.evaluate(demo, slow, lambda step, value: step == 2)
    assert stopped.state is TrialState.PRUNED and stopped.value < 0.5
