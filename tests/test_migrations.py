"""The schema comes from Alembic, matches the models, and the app refuses a stale database."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Connection, MetaData, inspect, text

from app.core.space import SearchSpace
from app.main import create_app
from app.objectives import BUILTINS
from app.settings import Settings
from app.store.claims import ask
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.experiments import create_experiment
from app.store.migrate import SchemaOutOfDate, alembic_config, check_schema, upgrade
from app.store.models import Direction, Experiment, Search, TrialState
from app.store.notes import set_search_note, set_trial_note
from app.store.results import report, tell
from app.store.searches import SearchSettings
from app.store.trial_reads import intermediate_values
from tests.support.tallies import check_tallies, kept


def test_upgrade_from_empty_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    command.check(alembic_config(url))  # raises if the models and migrations disagree
    engine = make_engine(url)
    check_schema(engine)
    engine.dispose()


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'again.db'}"
    upgrade(url)
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"experiments", "searches", "trials", "refine_keys"} <= tables
    command.downgrade(alembic_config(url), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(url)
    assert set(inspect(engine).get_table_names()) == tables
    check_schema(engine)  # raises unless the database is at head again
    engine.dispose()


def test_the_app_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutOfDate, match="hyperzoom db upgrade"):
        with TestClient(create_app(settings)):
            pass


def _stamp(url: str, revision: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    engine.dispose()


def test_a_database_from_a_newer_version_is_named_not_a_traceback(tmp_path: Path) -> None:
    """`db upgrade` and the server on a schema this version does not know (issue 14, item 17)."""
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    upgrade(url)
    _stamp(url, "0099")
    result = subprocess.run(
        [sys.executable, "-m", "app", "db", "upgrade", "--db", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "revision 0099" in result.stderr and "newer version of Hyperzoom" in result.stderr
    with pytest.raises(SchemaOutOfDate, match="newer version of Hyperzoom"):
        with TestClient(create_app(Settings(database_url=url))):
            pass


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_upgrades_of_a_fresh_database_all_succeed(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Two `db upgrade` at once: one waits for the other (issue 14, item 17)."""
    for attempt in range(5):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / f'race-{attempt}.db'}"
        else:
            url = request.getfixturevalue("pg_database")()
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "app", "db", "upgrade", "--db", url],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outcomes = [(run.returncode, run.communicate(timeout=120)[1]) for run in runs]
        outcomes = [(run.returncode, err) for run, (_, err) in zip(runs, outcomes, strict=True)]
        assert [code for code, _ in outcomes] == [0, 0], outcomes
        engine = make_engine(url)
        check_schema(engine)
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_intermediate_values_survive_their_table_rename_both_ways(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Migration 0007 copies trial_values into trial_intermediate_values (and back), ids and
    all, and new values are stored after it (on PostgreSQL the id sequence moved on)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'values.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("pg_database")()
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with session_scope(factory) as s:
        create_experiment(
            s,
            name="curves",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(BUILTINS["bowl"].space),
            settings=SearchSettings(n_trials=2, seed=1),
        )
        claim = ask(s, objectives=None, worker="w")
        for step in range(3):
            report(s, claim.trial_id, claim.ticket, step, 1.0 / (step + 1))
    command.downgrade(alembic_config(url), "0006")
    with engine.connect() as conn:
        old = conn.execute(text("SELECT step, value FROM trial_values ORDER BY step")).all()
    assert [tuple(r) for r in old] == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    upgrade(url)
    with session_scope(factory) as s:
        report(s, claim.trial_id, claim.ticket, 3, 0.25)
        assert intermediate_values(s, claim.trial_id) == [
            (0, 1.0), (1, 0.5), (2, 1 / 3), (3, 0.25)
        ]  # fmt: skip
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_notes_come_and_go_with_migration_0008_and_nothing_else_does(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """0008 adds a note to experiments, searches and trials; going back to 0007 drops the notes
    and keeps every row (the trials' table is rebuilt on SQLite: its learning curves, which
    cascade from it, must stay); up again the rows are there without notes, and take new ones."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'notes.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("pg_database")()
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with session_scope(factory) as s:
        experiment, root = create_experiment(
            s,
            name="noted",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(BUILTINS["bowl"].space),
            settings=SearchSettings(n_trials=2, seed=1),
            note="why: <b>this</b>",
            search_note="the whole space",
        )
        claim = ask(s, objectives=None, worker="w")
        for step in range(2):
            report(s, claim.trial_id, claim.ticket, step, 1.0 / (step + 1))
        set_trial_note(s, claim.trial_id, "looks diverged")
        ids = (experiment.id, root.id, claim.trial_id)
    with engine.connect() as conn:
        noted = conn.execute(text("SELECT id, seq, note FROM trials")).all()
    assert [note for _, _, note in noted] == ["looks diverged"]

    command.downgrade(alembic_config(url), "0007")
    inspector = inspect(engine)
    for table in ("experiments", "searches", "trials"):
        assert "note" not in {c["name"] for c in inspector.get_columns(table)}, table
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM experiments")).scalars().all() == [ids[0]]
        assert conn.execute(text("SELECT id FROM searches")).scalars().all() == [ids[1]]
        assert conn.execute(text("SELECT id, seq FROM trials")).all() == [noted[0][:2]]
        assert conn.execute(text("SELECT COUNT(*) FROM trial_intermediate_values")).scalar() == 2

    upgrade(url)
    check_schema(engine)
    with session_scope(factory) as s:
        assert s.get(Experiment, ids[0]).note is None  # type: ignore[union-attr]
        assert s.get(Search, ids[1]).note is None  # type: ignore[union-attr]
        assert set_trial_note(s, ids[2], "again").note == "again"
        assert set_search_note(s, ids[1], "box").note == "box"
        assert intermediate_values(s, ids[2]) == [(0, 1.0), (1, 0.5)]
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_declared_metrics_come_and_go_with_migration_0009_and_nothing_else_does(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """0009 adds `experiments.metrics`; back to 0008 drops it and keeps every experiment,
    search and trial (no rebuild that would cascade); up again the experiment has none."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'metrics.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("pg_database")()
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    metrics = [{"name": "acc", "direction": "maximize"}, {"name": "t", "direction": "minimize"}]
    with session_scope(factory) as s:
        experiment, root = create_experiment(
            s,
            name="traded",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(BUILTINS["bowl"].space),
            settings=SearchSettings(n_trials=2, seed=1),
            metrics=metrics,
        )
        assert experiment.direction is Direction.MAXIMIZE  # the first metric's
        claim = ask(s, objectives=None, worker="w")
        assert claim is not None and claim.metric == "acc"
        ids = (experiment.id, root.id, claim.trial_id)

    command.downgrade(alembic_config(url), "0008")
    assert "metrics" not in {c["name"] for c in inspect(engine).get_columns("experiments")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM experiments")).scalars().all() == [ids[0]]
        assert conn.execute(text("SELECT id FROM searches")).scalars().all() == [ids[1]]
        assert conn.execute(text("SELECT id FROM trials")).scalars().all() == [ids[2]]

    upgrade(url)
    check_schema(engine)
    with session_scope(factory) as s:
        assert s.get(Experiment, ids[0]).metrics is None  # type: ignore[union-attr]
    engine.dispose()


def test_every_downgrade_keeps_the_rows_it_does_not_drop(tmp_path: Path) -> None:
    """On SQLite a downgrade that rebuilds a table (batch mode copies it, drops the old one)
    ran with foreign keys on, so dropping `trials` cascaded: every learning-curve value went."""
    url = f"sqlite:///{tmp_path / 'down.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as s:
        create_experiment(
            s,
            name="curves",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(BUILTINS["bowl"].space),
            settings=SearchSettings(n_trials=2, seed=1),
        )
        claim = ask(s, objectives=None, worker="w")
        for step in range(3):
            report(s, claim.trial_id, claim.ticket, step, 1.0 / (step + 1))
    engine.dispose()
    for revision in ("0008", "0007", "0006", "0005", "0004", "0003", "0002"):
        command.downgrade(alembic_config(url), revision)
        values = "trial_intermediate_values" if revision >= "0007" else "trial_values"
        engine = make_engine(url)
        with engine.connect() as conn:
            counts = [
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("experiments", "searches", "trials", values)
            ]
        engine.dispose()
        assert counts == [1, 1, 1, 3], f"after the downgrade to {revision}"


def _rows_at_0009(conn: Connection) -> None:
    """Two experiments (one of each direction), three searches and trials in every state, as
    a database at 0009 holds them (no tallies yet): written through the reflected tables."""
    meta = MetaData()
    meta.reflect(conn, only=["experiments", "searches", "trials"])
    experiments, searches, trials = (meta.tables[t] for t in ("experiments", "searches", "trials"))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    space = {"x": {"type": "float", "low": 0.0, "high": 1.0}}
    for experiment_id, direction in ((1, "minimize"), (2, "maximize")):
        conn.execute(
            experiments.insert().values(
                id=experiment_id, name=direction, objective="bowl", direction=direction,
                space=space, seq=0, created_at=now,
            )
        )  # fmt: skip
    outcomes = {
        1: (1, ["complete", "complete", "failed", "pruned", "running", "waiting"]),
        2: (2, ["complete", "complete", "complete", "pruned", "failed"]),
        3: (2, ["running"]),  # no complete trial: no best value
    }
    values = iter([0.5, 0.25, None, -9.0, None, None, 0.5, 0.75, 0.125, 99.0, None, None])
    seq = 0
    for search_id, (experiment_id, states) in outcomes.items():
        conn.execute(
            searches.insert().values(
                id=search_id, experiment_id=experiment_id, sampler="random", seed=1,
                n_trials=10, n_asked=len(states), space=space, status="running",
                n_finished=sum(s in ("complete", "failed", "pruned") for s in states),
                created_at=now,
            )
        )  # fmt: skip
        for number, state in enumerate(states):
            seq += 1
            conn.execute(
                trials.insert().values(
                    experiment_id=experiment_id, search_id=search_id, number=number,
                    state=state, params={"x": 0.5}, value=next(values), attempt=0, lost=0,
                    seq=seq,
                )
            )  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0010_fills_the_tallies_from_the_trials(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """A database at 0009 with trials in every state, upgraded: every search's tallies equal a
    fresh count and best value (by its experiment's direction), and writes keep them so."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'tallies.db'}"
        command.upgrade(alembic_config(url), "0009")
    else:
        url = request.getfixturevalue("pg_database")()
        command.downgrade(alembic_config(url), "0009")
    engine = make_engine(url)
    with engine.begin() as conn:
        _rows_at_0009(conn)
        if backend == "postgresql":  # rows with explicit ids leave the sequences behind
            for table in ("experiments", "searches"):
                conn.execute(text(f"SELECT setval('{table}_id_seq', 3)"))
    upgrade(url)
    check_schema(engine)
    fresh = check_tallies(engine)
    assert (fresh["complete"], fresh["running"], fresh["waiting"]) == (5, 2, 1)
    assert {i: best for i, (_, best) in kept(engine).items()} == {1: 0.25, 2: 0.75, 3: None}
    with session_scope(make_sessionmaker(engine)) as s:
        claim = ask(s, objectives=None, worker="w")  # the waiting trial of search 1
        assert claim is not None and claim.search_id == 1
        tell(s, claim.trial_id, state=TrialState.COMPLETE, value=0.0625)
    check_tallies(engine)
    assert kept(engine)[1][1] == 0.0625
    command.downgrade(alembic_config(url), "0009")
    assert "n_complete" not in {c["name"] for c in inspect(engine).get_columns("searches")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM trials")).scalar() == 12
    engine.dispose()
