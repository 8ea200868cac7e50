"""`hyperzoom import-optuna`: studies written by the real optuna package into SQLite files,
imported through the command (`--db`, and `--server`), read back through the REST API."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import warnings
from contextlib import closing
from datetime import UTC
from pathlib import Path
from typing import Any

import optuna
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli.main import cli
from app.store.optuna_study import optuna_document, study_document
from tests.support.optuna_studies import (
    SPACE_NAMES,
    branching,
    storage_url,
    two_objectives,
    write_study,
    write_with,
    writing,
)

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def study_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 50-trial study, written once: the tests only read it."""
    path = tmp_path_factory.mktemp("optuna") / "optuna.db"
    write_study(path)
    return path


def _import(*args: str) -> Any:
    result = runner.invoke(cli, ["import-optuna", *args])
    assert "Traceback" not in result.output + result.stderr
    return result


def _trials(client: TestClient, experiment_id: int) -> list[dict[str, Any]]:
    trials = client.get(f"/api/experiments/{experiment_id}/trials").json()
    return sorted(trials, key=lambda t: t["number"])


def test_a_study_comes_back_with_its_values_curves_states_and_log_scales(
    study_file: Path, db_url: str, client: TestClient
) -> None:
    study = optuna.load_study(study_name="mlp", storage=storage_url(study_file))
    expected = study.get_trials()
    states = {t.state.name for t in expected}
    assert len(expected) == 50 and states == {"COMPLETE", "PRUNED", "FAIL"}

    result = _import(storage_url(study_file), "--db", db_url)
    assert result.exit_code == 0, result.output + result.stderr
    counts = {s: sum(t.state.name == s for t in expected) for s in ("COMPLETE", "PRUNED", "FAIL")}
    assert (
        f"experiment 1 (mlp) imported from Optuna: 50 trials ({counts['COMPLETE']} complete, "
        f"{counts['PRUNED']} pruned, {counts['FAIL']} failed)" in result.output
    )
    assert "user attributes that are not finite numbers are not imported as metrics: device" in (
        result.output
    )

    experiment = client.get("/api/experiments/1").json()
    assert experiment["direction"] == "minimize" and experiment["objective"] == "optuna:mlp"
    space = experiment["space"]
    assert list(space) == SPACE_NAMES
    assert space["lr"] == {"type": "float", "low": 1e-5, "high": 1e-1, "log": True}
    assert space["units"] == {"type": "int", "low": 16, "high": 256, "log": True}
    assert space["layers"] == {"type": "int", "low": 1, "high": 4}
    assert space["batch"] == {"type": "int", "low": 16, "high": 128, "step": 16}
    assert space["optimizer"] == {"type": "categorical", "choices": ["adam", "sgd", "rmsprop"]}
    assert space["dropout"] == {"type": "float", "low": 0.0, "high": 0.5, "step": 0.1}
    [search] = experiment["searches"]
    assert search["status"] == "done" and search["n_trials"] == 50

    trials = _trials(client, 1)
    state_of = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}
    for mine, theirs in zip(trials, expected, strict=True):
        assert mine["number"] == theirs.number
        assert mine["state"] == state_of[theirs.state.name]
        assert mine["params"] == theirs.params
        assert mine["value"] == theirs.value  # a pruned trial's is its last report
        metrics = (
            {"train_seconds": theirs.user_attrs["train_seconds"]} if theirs.user_attrs else None
        )
        assert mine["metrics"] == metrics
        started = theirs.datetime_start.astimezone().astimezone(UTC)
        assert mine["started_at"].replace("Z", "+00:00") == started.isoformat()
    failed = [t for t in trials if t["state"] == "failed"]
    assert failed and all("failed in Optuna" in t["error"] for t in failed)

    ids = [t["id"] for t in trials]
    curves = client.get("/api/experiments/1/curves", params={"trial_id": ids}).json()["curves"]
    by_trial = {c["trial_id"]: list(zip(c["steps"], c["values"], strict=True)) for c in curves}
    for mine, theirs in zip(trials, expected, strict=True):
        assert by_trial.get(mine["id"], []) == sorted(theirs.intermediate_values.items())
    pruned = [t for t in expected if t.state.name == "PRUNED"]
    assert pruned and all(len(t.intermediate_values) < 5 for t in pruned)


def test_a_region_of_the_imported_study_is_refined(
    study_file: Path, db_url: str, client: TestClient
) -> None:
    result = _import(storage_url(study_file), "--db", db_url, "--objective", "train:fit")
    assert result.exit_code == 0, result.output + result.stderr
    experiment = client.get("/api/experiments/1").json()
    assert experiment["objective"] == "train:fit"
    root = experiment["searches"][0]["id"]
    region = {"lr": [1e-4, 1e-2], "optimizer": ["adam", "sgd"]}
    preview = client.post(f"/api/searches/{root}/refine", json={"region": region, "dry_run": True})
    assert preview.status_code == 200, preview.text
    child = client.post(f"/api/searches/{root}/refine", json={"region": region, "n_trials": 8})
    assert child.status_code == 201, child.text
    space = child.json()["space"]
    assert space["lr"] == {"type": "float", "low": 1e-4, "high": 1e-2, "log": True}
    assert space["optimizer"]["choices"] == ["adam", "sgd"]
    assert space["units"]["log"] is True
    tree = client.get("/api/experiments/1/tree").json()
    assert [c["search"]["id"] for c in tree[0]["children"]] == [child.json()["id"]]


def test_several_studies_need_a_name_and_an_unknown_name_is_refused(
    tmp_path: Path, db_url: str, client: TestClient
) -> None:
    path = tmp_path / "two.db"
    write_study(path, name="first", n_trials=3)
    write_study(path, name="second", n_trials=4)
    result = _import(storage_url(path), "--db", db_url)
    assert result.exit_code == 1
    assert "holds 2 studies; choose one with --study: 'first', 'second'" in result.stderr
    result = _import(storage_url(path), "--study", "third", "--db", db_url)
    assert result.exit_code == 1
    assert "has no study named 'third'; its studies: 'first', 'second'" in result.stderr
    assert client.get("/api/experiments").json() == []

    result = _import(storage_url(path), "--study", "second", "--db", db_url)
    assert result.exit_code == 0, result.output + result.stderr
    [experiment] = client.get("/api/experiments").json()
    assert experiment["name"] == "second" and sum(experiment["counts"].values()) == 4


def test_a_study_with_two_objectives_says_what_it_imports(
    tmp_path: Path, db_url: str, client: TestClient
) -> None:
    path = tmp_path / "pareto.db"
    study = write_with(path, two_objectives, "pareto", 6, directions=["minimize", "maximize"])
    with warnings.catch_warnings(category=optuna.exceptions.ExperimentalWarning, action="ignore"):
        study.set_metric_names(["error", "speed"])
    result = _import(storage_url(path), "--db", db_url)
    assert result.exit_code == 0, result.output + result.stderr
    output = " ".join(result.output.split())
    assert (
        "note: the study has 2 objectives (error, speed): the experiment declares them as its "
        "metrics objective_0 (minimize), objective_1 (maximize); each trial's value is "
        "objective_0"
    ) in output
    experiment = client.get("/api/experiments/1").json()
    assert experiment["direction"] == "minimize"
    assert [(m["name"], m["direction"]) for m in experiment["metrics"]] == [
        ("objective_0", "minimize"),
        ("objective_1", "maximize"),
    ]
    # The front the API gives is Optuna's own (study.best_trials), trial for trial.
    front = client.get("/api/experiments/1/pareto").json()["trial_ids"]
    numbers = {t["id"]: t["number"] for t in _trials(client, 1)}
    assert sorted(numbers[i] for i in front) == sorted(t.number for t in study.best_trials)
    for mine, theirs in zip(_trials(client, 1), study.get_trials(), strict=True):
        assert mine["value"] == theirs.values[0]
        assert mine["metrics"] == {"objective_1": theirs.values[1]}


def test_branches_become_conditions_and_unfinished_trials_are_counted(tmp_path: Path) -> None:
    """Through the Python function: what the command prints comes from here."""
    path = tmp_path / "branches.db"
    study = write_with(path, branching, "branches", 40)
    study.enqueue_trial({"model": "svc"})  # waiting
    study.ask()  # running (it takes the waiting one)
    study.enqueue_trial({"model": "forest"})  # waiting
    document, notices = optuna_document(storage_url(path))
    space = document["experiment"]["space"]
    assert space["svc_c"]["condition"] == {"model": ["svc"]}
    assert space["n_layers"]["condition"] == {"model": ["forest"]}
    assert space["depth_0"]["condition"] == {"model": ["forest"]}
    assert space["depth_2"] == {
        "type": "int", "low": 2, "high": 32, "log": True, "condition": {"n_layers": [3]},
    }  # fmt: skip
    assert space["class_weight"]["choices"] == ["None", "balanced"]
    finished = [t for t in study.get_trials() if t.state.is_finished()]
    boom = [t for t in finished if t.params["model"] == "boom"]
    assert boom and all(t.state.name == "FAIL" for t in boom)  # failed after one parameter
    assert len(document["trials"]) == len(finished)  # boom fits: model is all it needs
    assert [t["number"] for t in document["trials"]] == list(range(len(finished)))
    assert "not imported: 2 running or waiting trials" in " ".join(notices)
    assert any("the choice None is the string 'None'" in n for n in notices)
    nones = [t for t in document["trials"] if t["params"].get("class_weight") == "None"]
    assert nones


def test_failed_trials_that_stopped_early_are_left_out_with_a_count() -> None:
    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 3 == 2:
            raise ValueError("crashed before y")
        return x + trial.suggest_float("y", 0.0, 1.0)

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=2))  # in memory
    with writing():
        study.optimize(objective, n_trials=9, catch=(ValueError,))
    document, notices = study_document(study)
    assert len(document["trials"]) == 6
    assert {t["state"] for t in document["trials"]} == {"complete"}
    assert "not imported: 3 failed trials whose parameters" in notices[0]
    assert "the 6 imported trials are numbered 0..5 in order" in notices


def test_a_missing_storage_is_refused_and_nothing_is_created(
    tmp_path: Path, db_url: str, client: TestClient
) -> None:
    missing = tmp_path / "nowhere.db"
    result = _import(storage_url(missing), "--db", db_url)
    assert result.exit_code == 1
    assert f"error: {missing} does not exist: there is no Optuna storage to read" in (
        " ".join(result.stderr.split())
    )
    assert not missing.exists()
    result = _import("optuna.db", "--db", db_url)
    assert result.exit_code == 1 and "is not a database URL" in result.stderr
    assert client.get("/api/experiments").json() == []


def test_a_database_that_is_not_optuna_is_refused_untouched(
    tmp_path: Path, db_url: str, migrated_template: Path, client: TestClient
) -> None:
    other = tmp_path / "hyperzoom.db"
    shutil.copy(migrated_template, other)
    before = other.read_bytes()
    result = _import(storage_url(other), "--db", db_url)
    assert result.exit_code == 1
    assert "is not an Optuna storage (it has no `studies` and `version_info` tables)" in (
        " ".join(result.stderr.split())
    )
    assert other.read_bytes() == before
    with closing(sqlite3.connect(other)) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "studies" not in tables
    assert client.get("/api/experiments").json() == []


def test_a_storage_of_an_older_optuna_is_refused_with_optunas_advice(
    study_file: Path, tmp_path: Path, db_url: str, client: TestClient
) -> None:
    old = tmp_path / "old.db"
    shutil.copy(study_file, old)
    with closing(sqlite3.connect(old)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = 'v3.0.0.d'")
    before = old.read_bytes()
    result = _import(storage_url(old), "--db", db_url)
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert f"error: cannot open {storage_url(old)}: The runtime optuna version" in message
    assert "optuna storage upgrade" in message
    assert old.read_bytes() == before
    assert client.get("/api/experiments").json() == []


def test_without_optuna_the_command_says_how_to_install_it(
    study_file: Path, db_url: str, client: TestClient
) -> None:
    code = (
        "import sys; sys.modules['optuna'] = None; "
        "from app.__main__ import main; "
        f"sys.argv = ['hyperzoom', 'import-optuna', {storage_url(study_file)!r}, "
        f"'--db', {db_url!r}]; main()"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1
    assert "error: import-optuna needs Optuna: pip install 'hyperzoom[tpe]'" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert client.get("/api/experiments").json() == []


@pytest.mark.slow
def test_the_same_import_over_a_server(study_file: Path, live_server: str) -> None:
    result = _import(storage_url(study_file), "--server", live_server)
    assert result.exit_code == 0, result.output + result.stderr
    assert "experiment 1 (mlp) imported from Optuna: 50 trials" in result.output
