"""The columnar read gives the same trials as reading them one by one, in batches too."""

from __future__ import annotations

from typing import Any

import pytest
from pytest import approx
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core.space import SearchSpace
from app.store import trial_reads
from app.store.claims import ask
from app.store.experiments import create_experiment
from app.store.models import Direction, Trial, TrialState
from app.store.results import tell
from app.store.searches import SearchSettings
from app.store.trial_reads import list_trials, trial_columns

# `momentum` only exists for sgd, so some trials lack it: their column holds None.
SPACE = SearchSpace.from_dict(
    {
        "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
        "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
        "momentum": {"type": "float", "low": 0.0, "high": 0.99, "condition": {"solver": ["sgd"]}},
    }
)


def _experiment(session: Session, n_trials: int) -> int:
    experiment, _ = create_experiment(
        session,
        name="reads",
        objective="bowl",
        direction=Direction.MINIMIZE,
        space=SPACE,
        settings=SearchSettings(n_trials=n_trials, seed=5),
    )
    return experiment.id


def run(session: Session, n: int) -> list[int]:
    """Ask `n` trials; finish them in a mix of ways (metrics only on some, one left running)."""
    ids = []
    for i in range(n):
        claim = ask(session, objectives=None, worker="w")
        assert claim is not None
        ids.append(claim.trial_id)
        if i % 5 == 4:
            continue  # still running: no duration yet
        if i % 5 == 3:
            tell(session, claim.trial_id, state=TrialState.FAILED, error="boom")
        else:
            metrics = {"acc": i / 10} if i % 2 else ({"f1": 0.5} if i > 5 else None)
            tell(session, claim.trial_id, state=TrialState.COMPLETE, value=i / 3, metrics=metrics)
    return ids


def _expected(trials: list[Trial], field: str) -> dict[str, list[Any]]:
    """Column per name, None where a trial lacks it, names in order of first appearance."""
    names: dict[str, None] = {}
    for t in trials:
        names.update(dict.fromkeys(getattr(t, field) or {}))
    return {n: [(getattr(t, field) or {}).get(n) for t in trials] for n in names}


def _duration(t: Trial) -> float | None:
    if t.started_at is None or t.finished_at is None:
        return None
    return (t.finished_at - t.started_at).total_seconds()


@pytest.mark.parametrize("batch", [3, trial_reads.BATCH])
def test_columns_match_the_trials_read_one_by_one(
    session: Session, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(trial_reads, "BATCH", batch)  # names first seen in a later batch
    experiment_id = _experiment(session, n_trials=12)
    run(session, 12)
    trials = list(list_trials(session, experiment_id=experiment_id))
    got = trial_columns(session, experiment_id)
    assert got.id == [t.id for t in trials] and len(got.id) == 12
    assert got.search_id == [t.search_id for t in trials]
    assert got.number == [t.number for t in trials]
    assert got.state == [t.state for t in trials]
    assert all(isinstance(s, TrialState) for s in got.state)
    assert got.value == [t.value for t in trials]
    assert got.params == _expected(trials, "params")
    assert None in got.params["momentum"] and set(got.params) == {"lr", "solver", "momentum"}
    assert got.metrics == _expected(trials, "metrics") and set(got.metrics) == {"acc", "f1"}
    # Durations are worked out by the database, to the millisecond on SQLite.
    assert got.duration == [
        None if d is None else approx(d, abs=1e-3) for d in map(_duration, trials)
    ]
    assert got.duration.count(None) == 2 and all(d is None or d >= 0 for d in got.duration)
    assert got.cursor == max(t.seq for t in trials)


def test_since_returns_only_what_changed_and_keeps_the_cursor(session: Session) -> None:
    experiment_id = _experiment(session, n_trials=5)
    ids = run(session, 5)  # the last one is still running
    first = trial_columns(session, experiment_id)
    assert trial_columns(session, experiment_id, first.cursor).id == []
    assert trial_columns(session, experiment_id, first.cursor).cursor == first.cursor
    tell(session, ids[4], state=TrialState.COMPLETE, value=2.0, metrics={"loss": 0.1})
    changed = trial_columns(session, experiment_id, first.cursor)
    assert changed.id == [ids[4]] and changed.value == [2.0]
    assert changed.metrics == {"loss": [0.1]} and changed.cursor > first.cursor
    assert trial_columns(session, experiment_id + 1).id == []  # another experiment's are apart


# Values JSON can hold that a fast parser might bend: a big int, a float needing all 17 digits,
# text beyond ASCII with quotes and escapes, booleans, null, nesting.
AWKWARD = {
    "big": 10**30,
    "tiny": 5e-324,
    "third": 1 / 3,
    "text": 'naïve "quoted" \\ 日本 🙂',
    "flag": True,
    "nothing": None,
    "nested": {"a": [1, 2.5, False]},
}


def test_columns_keep_every_json_value_exactly(session: Session) -> None:
    experiment_id = _experiment(session, n_trials=1)
    claim = ask(session, objectives=None, worker="w")
    assert claim is not None
    tell(session, claim.trial_id, state=TrialState.COMPLETE, value=0.5, metrics=AWKWARD)
    got = trial_columns(session, experiment_id).metrics
    assert got == {name: [value] for name, value in AWKWARD.items()}
    assert type(got["big"][0]) is int and type(got["flag"][0]) is bool


def test_a_document_the_fast_parser_refuses_is_still_read(session: Session) -> None:
    # A lone surrogate escape: refused on input since, but a database may hold one from before.
    experiment_id = _experiment(session, n_trials=1)
    claim = ask(session, objectives=None, worker="w")
    assert claim is not None
    tell(session, claim.trial_id, state=TrialState.COMPLETE, value=0.5, metrics={"m": 1})
    postgres = session.get_bind().dialect.name == "postgresql"
    stored = "CAST(:m AS JSON)" if postgres else ":m"
    session.execute(
        text(f"UPDATE trials SET metrics = {stored} WHERE id = :i"),
        {"m": '{"note": "\\ud800"}', "i": claim.trial_id},
    )
    assert trial_columns(session, experiment_id).metrics == {"note": ["\ud800"]}
