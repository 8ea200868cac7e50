"""The worker's printed status: counts, best value, and the objective's text as it is."""

from __future__ import annotations

import io

from rich.console import Console

from app.store.claims import Claim
from app.store.models import Direction, TrialState
from app.worker.status import WorkerStatus
from app.worker.trial import Outcome


def _claim(number: int) -> Claim:
    return Claim(number + 1, 0, "ticket", 1, number, "bowl", Direction.MINIMIZE, {"x": 0.5})


def test_prints_each_trial_and_a_summary_with_the_best_value() -> None:
    out = io.StringIO()
    with WorkerStatus("host:1", Console(file=out, width=200)) as status:
        status.record(_claim(0), Outcome(TrialState.COMPLETE, value=0.5))
        status.record(_claim(1), Outcome(TrialState.COMPLETE, value=0.25))
        status.record(_claim(2), Outcome(TrialState.FAILED, error="Traceback\nValueError: no"))
    lines = out.getvalue().splitlines()
    assert lines[0] == "worker host:1 started"
    assert lines[1] == "search 1 trial 0: complete 0.5"
    assert lines[3] == "search 1 trial 2: failed (ValueError: no)"
    assert lines[-1] == "worker host:1 stopped: 3 trials (1 failed, 0 pruned), best 0.25"


def test_an_error_that_looks_like_markup_is_printed_verbatim() -> None:
    # rich would read "[/]" as a closing tag and raise, "[bold]" as a style.
    out = io.StringIO()
    with WorkerStatus("host:1", Console(file=out, width=200)) as status:
        status.record(_claim(0), Outcome(TrialState.FAILED, error="KeyError: '[/]' [bold]x"))
    assert "search 1 trial 0: failed (KeyError: '[/]' [bold]x)" in out.getvalue()


def test_a_blank_error_prints_the_state_alone() -> None:
    out = io.StringIO()
    with WorkerStatus("host:1", Console(file=out, width=200)) as status:
        status.record(_claim(0), Outcome(TrialState.FAILED, error=" \n "))
    assert "search 1 trial 0: failed\n" in out.getvalue()
