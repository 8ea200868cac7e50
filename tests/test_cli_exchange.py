"""`export` and `import` through their runner, straight on databases (--db)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli.main import cli
from app.store.db import session_scope
from tests.support.exchange import populate

runner = CliRunner()


def _second_db(tmp_path: Path, migrated_template: Path) -> str:
    path = tmp_path / "other.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


def test_export_to_a_file_and_import_elsewhere(
    db_url: str, factory: sessionmaker[Session], tmp_path: Path, migrated_template: Path
) -> None:
    with session_scope(factory) as session:
        experiment_id = populate(session)
    target = tmp_path / "sweep.json"
    result = runner.invoke(
        cli, ["export", str(experiment_id), "--output", str(target), "--db", db_url]
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert f"experiment {experiment_id} written to" in result.output
    document = json.loads(target.read_text())
    assert document["format"] == "hyperzoom-experiment" and len(document["trials"]) == 6

    other = _second_db(tmp_path, migrated_template)
    result = runner.invoke(cli, ["import", str(target), "--db", other])
    assert result.exit_code == 0, result.output + result.stderr
    assert "experiment 1 (sweep) imported: 3 searches, 6 trials, 2 waiting to run" in result.output

    result = runner.invoke(cli, ["export", "1", "--db", other])  # to standard output
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.output)["experiment"]["name"] == "sweep"


def test_export_trials_as_csv_to_standard_output(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    with session_scope(factory) as session:
        experiment_id = populate(session)
    result = runner.invoke(cli, ["export", str(experiment_id), "--csv", "--db", db_url])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 6 and rows[0]["state"] == "complete"


def test_failures_are_one_line(db_url: str, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["export", "42", "--db", db_url])
    assert result.exit_code == 1
    assert "experiment 42 not found (HTTP 404)" in result.stderr
    result = runner.invoke(cli, ["export", "42", "--csv", "--db", db_url])
    assert result.exit_code == 1 and "(HTTP 404)" in result.stderr

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "hyperzoom-experiment", "version": NaN}')
    result = runner.invoke(cli, ["import", str(bad), "--db", db_url])
    assert result.exit_code == 1 and "NaN is not allowed" in result.stderr
    bad.write_text('{"format": "something else"}')
    result = runner.invoke(cli, ["import", str(bad), "--db", db_url])
    assert result.exit_code == 1
    assert "format: must be 'hyperzoom-experiment'" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    result = runner.invoke(cli, ["import", str(tmp_path / "missing.json"), "--db", db_url])
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_export_writes_through_a_link_and_leaves_no_file_when_refused(
    db_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_scope(factory) as session:
        experiment_id = populate(session)
    target, link = tmp_path / "kept" / "sweep.json", tmp_path / "latest.json"
    target.parent.mkdir()
    link.symlink_to(target)
    result = runner.invoke(cli, ["export", str(experiment_id), "-o", str(link), "--db", db_url])
    assert result.exit_code == 0, result.output + result.stderr
    assert link.is_symlink() and json.loads(target.read_text())["experiment"]["name"] == "sweep"
    missing = tmp_path / "missing.json"
    result = runner.invoke(cli, ["export", "42", "-o", str(missing), "--db", db_url])
    assert result.exit_code == 1 and "not found" in result.output + result.stderr
    assert not missing.exists()
