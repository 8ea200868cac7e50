"""Export and import: a round trip between two databases keeps everything but ids."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.store.claims import ask
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.document import DocumentError
from app.store.exporting import export_experiment, trials_csv
from app.store.importing import import_experiment
from app.store.models import Experiment, Search, SearchStatus, Trial, TrialState
from app.store.notes import set_trial_note
from app.store.trial_reads import list_trials
from tests.support.exchange import (
    CHILD_NOTE,
    EXPERIMENT_NOTE,
    TRIAL_NOTE,
    populate,
    without_ids,
)


@pytest.fixture
def other(tmp_path: Path, migrated_template: Path) -> Iterator[sessionmaker[Session]]:
    """A second, independent SQLite database to import into."""
    path = tmp_path / "other.db"
    shutil.copy(migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield make_sessionmaker(engine)
    engine.dispose()


def _as_waiting(document: dict[str, Any]) -> dict[str, Any]:
    """What an import does to running trials: they wait to be run again."""
    doc = copy.deepcopy(document)
    for t in doc["trials"]:
        if t["state"] == "running":
            t.update(state="waiting", worker=None, started_at=None, finished_at=None)
            t["intermediate_values"] = []
    return doc


def _copy(factory: sessionmaker[Session], document: dict[str, Any]) -> dict[str, Any]:
    with session_scope(factory) as session:
        new_id = import_experiment(session, document).id
    with session_scope(factory) as session:
        return export_experiment(session, new_id)


def test_a_round_trip_keeps_everything_but_ids(
    factory: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    with session_scope(factory) as session:
        experiment_id = populate(session)
    with session_scope(factory) as session:
        first = export_experiment(session, experiment_id)
    assert first["format"] == "hyperzoom-experiment" and first["version"] == 1
    states = {t["state"] for t in first["trials"]}
    assert states == {s.value for s in TrialState}
    assert [s["parent_id"] for s in first["searches"]][1:] == [
        s["id"] for s in first["searches"][:2]
    ]
    assert first["trials"][0]["intermediate_values"] == [[0, 0.9], [1, 0.5]]

    policies = [(s["heartbeat_timeout"], s["max_retries"]) for s in first["searches"]]
    assert policies == [(5, 1), (5, 0), (5, 0)]  # a child keeps its parent's unless told
    second = _copy(other, first)
    assert without_ids(second) == without_ids(_as_waiting(first))
    assert without_ids(_copy(factory, second)) == without_ids(second)  # into the same db


def test_an_import_sets_counters_and_cursors_so_work_goes_on(
    factory: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    with session_scope(factory) as session:
        document = export_experiment(session, populate(session))
    with session_scope(other) as session:
        experiment = import_experiment(session, document)
        experiment_id = experiment.id
        assert experiment.seq == len(document["trials"])
    with session_scope(other) as session:
        root, child, grandchild = session.scalars(select(Search).order_by(Search.id)).all()
        assert (root.n_asked, root.n_finished, root.status) == (4, 3, SearchStatus.RUNNING)
        assert (child.n_asked, child.n_finished, child.status) == (1, 1, SearchStatus.RUNNING)
        assert (grandchild.n_asked, grandchild.n_finished) == (1, 0)
        assert child.parent_id == root.id and grandchild.parent_id == child.id
        seqs = [t.seq for t in list_trials(session, experiment_id=experiment_id)]
        assert sorted(seqs) == list(range(1, len(document["trials"]) + 1))
        assert list_trials(session, experiment_id=experiment_id, since=len(seqs)) == []
        # the trial that was running waits for a worker and is claimed first
        claim = ask(session, objectives=None, worker="here")
        assert (claim.search_id, claim.number) == (root.id, 3)
    with session_scope(other) as session:
        cursor = len(document["trials"])
        [changed] = list_trials(session, experiment_id=experiment_id, since=cursor)
        assert changed.id == claim.trial_id and changed.state is TrialState.RUNNING


def test_a_search_whose_budget_is_spent_is_done(
    factory: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    with session_scope(factory) as session:
        document = export_experiment(session, populate(session))
    document["searches"][1]["status"] = "queued"  # 1 of its 3 trials finished: stays as given
    document["searches"][1]["n_trials"] = 1  # now its one finished trial spends the budget
    with session_scope(other) as session:
        import_experiment(session, document)
        child = session.scalars(select(Search).order_by(Search.id)).all()[1]
        assert child.status is SearchStatus.DONE


def _bad(document: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


CASES = [
    (["format"], "optuna", "format: must be 'hyperzoom-experiment'"),
    (["version"], 2, "version: must be 1"),
    (["experiment", "name"], _DELETE, "experiment.name: is missing"),
    (["experiment", "direction"], "up", "experiment.direction: must be one of"),
    (["experiment", "space", "x", "low"], float("nan"), "experiment.space.x.low: must be finite"),
    (["searches", 1, "space", "x", "high"], -1.0, "searches[1].space.x"),
    (["searches", 1, "parent_id"], 999, "searches[1].parent_id: 999 is not the id of a search"),
    (["searches", 0, "parent_id"], "self", "searches[0].parent_id"),
    (["searches", 2, "space", "x", "low"], 0.1, "searches[2].space.x: [0.1, 0.4] lies outside"),
    (["searches", 1, "space", "solver", "choices"], ["sgd", "rmsprop"], "space.solver: choices"),
    (["searches", 1, "space", "learning_rate", "log"], False, "another scale or step than"),
    (["searches", 1, "space", "depth"], {"type": "int", "low": 1, "high": 3}, "not a parameter"),
    (["searches", 1, "sampler"], "magic", "searches[1].sampler: unknown sampler 'magic'"),
    (["searches", 0, "pruner", "type"], "nope", "searches[0].pruner.type: must be one of"),
    (["searches", 0, "seed"], True, "searches[0].seed: must be an integer"),
    (["searches", 0, "status"], "done", "searches[0].status: is done but only 3 of its 4"),
    (["searches", 0, "n_trials"], 2, "searches[0].n_trials: is 2 but the search has 4"),
    (["searches", 0, "created_at"], "yesterday", "searches[0].created_at: must be an ISO 8601"),
    (["searches", 0, "colour"], "red", "searches[0].colour: is not a field"),
    (["trials", 1, "search_id"], 999, "trials[1].search_id: 999 is not the id of a listed"),
    (["trials", 1, "number"], 0, "trials[1].number: search"),
    (["trials", 1, "number"], 9, "searches[0]: trial numbers must run 0..3 without gaps"),
    (["trials", 0, "state"], "lost", "trials[0].state: must be one of: waiting, running"),
    (["trials", 0, "value"], float("inf"), "trials[0].value: must be finite"),
    (["trials", 0, "value"], None, "trials[0].value: a complete trial needs a finite value"),
    (["trials", 0, "metrics", "acc"], float("nan"), "trials[0].metrics.acc: NaN"),
    (["trials", 0, "params", "x"], 7.0, "trials[0].params.x: 7.0 is outside"),
    (["trials", 0, "intermediate_values", 1], [1, float("nan")], "intermediate_values[1][1]"),
    (["trials", 0, "intermediate_values", 1], [0, 0.5], "intermediate_values: step 0 appears"),
    (["trials"], {}, "trials: must be a JSON array"),
    (["searches"], [], "searches: an experiment needs at least one search"),
    # The limits of app.core.values, as on every other way in (issue 14, items 12 and 13).
    (["trials", 0, "metrics", "m"], _nested(900), "is nested more than 32 levels deep"),
    (["trials", 0, "metrics", "m"], "x" * 1_000_001, "trials[0].metrics: is more than 1,000,000"),
    (["trials", 0, "metrics", "m"], "data-\udcff.csv", "trials[0].metrics.m: holds text that"),
    (["trials", 0, "metrics", "\udcff"], 1, "trials[0].metrics.\udcff: holds text that is not"),
    (["trials", 1, "error"], "x" * 100_001, "trials[1].error: must be at most 100000 characters"),
    (["trials", 1, "error"], "cannot open \udcff.csv", "trials[1].error: holds text that is"),
    (["trials", 1, "error"], "a\x00b", "trials[1].error: holds a NUL character"),
    (["trials", 0, "worker"], "w\udcff", "trials[0].worker: holds text that is not unicode"),
    (["trials", 0, "params", "x"], _nested(900), "trials[0].params.x[0][0]"),
    (["experiment", "name"], "a\x00b", "experiment.name: holds a NUL character"),
    (["searches", 0, "pruner", "deep"], _nested(40), "searches[0].pruner.deep[0]"),
    (["searches", 0, "region"], {"x": _nested(40)}, "searches[0].region.x[0]"),
    (["experiment", "note"], "x" * 10_001, "experiment.note: must be at most 10000 characters"),
    (["searches", 1, "note"], "a\x00b", "searches[1].note: holds a NUL character"),
    (["trials", 0, "note"], ["text"], "trials[0].note: must be a"),
    (["trials", 2, "note"], "\udcff", "trials[2].note: holds text that is not unicode"),
]


@pytest.mark.parametrize(("path", "value", "message"), CASES)
def test_a_bad_document_names_the_path_and_writes_nothing(
    factory: sessionmaker[Session],
    other: sessionmaker[Session],
    path: list[Any],
    value: Any,
    message: str,
) -> None:
    with session_scope(factory) as session:
        document = export_experiment(session, populate(session))
    if path == ["searches", 0, "parent_id"]:
        value = document["searches"][0]["id"]  # its own id: not listed before it
    # Checked as it is written (a streamed import holds no whole document to check first):
    # the caller's transaction, rolled back on the error, is what leaves nothing behind.
    with pytest.raises(DocumentError) as caught, session_scope(other) as session:
        import_experiment(session, _bad(document, path, value))
    assert message in str(caught.value)
    with session_scope(other) as session:
        assert session.scalar(select(func.count()).select_from(Experiment)) == 0
        assert session.scalar(select(func.count()).select_from(Trial)) == 0


def test_not_an_object_at_all(other: sessionmaker[Session]) -> None:
    with session_scope(other) as session, pytest.raises(ValueError, match="must be a JSON object"):
        import_experiment(session, [1, 2])


def test_trials_as_csv(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        experiment_id = populate(session)
        session.execute(
            Trial.__table__.update().where(Trial.number == 1).values(error="=HYPERLINK(1)\nmore")
        )
    with session_scope(factory) as session:
        text = trials_csv(session, experiment_id)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:5] == ["id", "search_id", "number", "state", "value"]
    assert {"param.learning_rate", "param.x", "param.solver", "metric.acc"} <= set(rows[0])
    assert list(rows[0])[-4:] == ["note", "error", "started_at", "finished_at"]
    assert len(rows) == 6
    first = rows[0]
    assert first["state"] == "complete" and float(first["value"]) == 0.25
    assert first["metric.acc"] == "0.9" and first["param.solver"] in ("sgd", "adam")
    assert first["started_at"].endswith("+00:00")
    failed = [r for r in rows if r["state"] == "failed"]
    assert failed and all(r["error"] == "'=HYPERLINK(1)" for r in failed)
    assert all(r["value"] == "" for r in rows if r["state"] in ("failed", "waiting"))


def test_a_document_from_before_reaping_policies_gets_the_defaults(
    factory: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    with session_scope(factory) as session:
        experiment_id = populate(session)
    with session_scope(factory) as session:
        document = export_experiment(session, experiment_id)
    for search in document["searches"]:
        del search["heartbeat_timeout"], search["max_retries"]
    copied = _copy(other, document)
    assert {(s["heartbeat_timeout"], s["max_retries"]) for s in copied["searches"]} == {(60, 2)}
    document["searches"][0]["heartbeat_timeout"] = -1
    with pytest.raises(DocumentError, match="positive number of seconds"):
        _copy(other, document)


def test_notes_go_along_and_only_where_there_are_some(
    factory: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    with session_scope(factory) as session:
        document = export_experiment(session, populate(session))
    assert document["experiment"]["note"] == EXPERIMENT_NOTE
    assert [s.get("note") for s in document["searches"]] == [None, CHILD_NOTE, None]
    assert ["note" in s for s in document["searches"]] == [False, True, False]
    noted = {t["number"]: t["note"] for t in document["trials"] if "note" in t}
    assert noted == {0: TRIAL_NOTE, 3: "still running"}
    with session_scope(other) as session:
        new_id = import_experiment(session, document).id
    with session_scope(other) as session:
        experiment = session.get_one(Experiment, new_id)
        assert experiment.note == EXPERIMENT_NOTE
        assert [s.note for s in experiment.searches] == [None, CHILD_NOTE, None]
        trials = session.scalars(select(Trial).order_by(Trial.search_id, Trial.number)).all()
        by_number = {t.number: t for t in trials if t.search_id == experiment.searches[0].id}
        assert by_number[0].note == TRIAL_NOTE
        assert (by_number[3].state, by_number[3].note) == (TrialState.WAITING, "still running")
        assert sum(t.note is not None for t in trials) == 2


def test_a_document_from_before_notes_imports_and_null_or_blank_notes_are_none(
    factory: sessionmaker[Session], other: sessionmaker[Session]
) -> None:
    with session_scope(factory) as session:
        document = export_experiment(session, populate(session))
    older = copy.deepcopy(document)
    for item in [older["experiment"], *older["searches"], *older["trials"]]:
        item.pop("note", None)
    assert '"note"' not in json.dumps(older)
    copied = _copy(other, older)
    assert without_ids(copied) == without_ids(_as_waiting(older))
    blank = copy.deepcopy(older)
    blank["experiment"]["note"] = None
    blank["searches"][0]["note"] = "  \n"
    blank["trials"][0]["note"] = ""
    assert without_ids(_copy(other, blank)) == without_ids(_as_waiting(older))


def test_trial_notes_in_the_csv_whole_and_defused(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        experiment_id = populate(session)
        first = session.scalars(select(Trial).where(Trial.number == 1)).first()
        assert first is not None
        set_trial_note(session, first.id, "=HYPERLINK(1)")
    with session_scope(factory) as session:
        rows = list(csv.DictReader(io.StringIO(trials_csv(session, experiment_id))))
    notes = {r["note"] for r in rows}
    assert {TRIAL_NOTE, "still running", "'=HYPERLINK(1)", ""} == notes
