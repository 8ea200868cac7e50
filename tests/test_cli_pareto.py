"""`hyperzoom experiment create --metric ...` and `hyperzoom experiment pareto ID` on a SQLite
file (--db): the declaration reaches the experiment, the front prints as a table."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli.main import cli
from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import Experiment, TrialState
from app.store.results import tell

runner = CliRunner()


def run(*args: str) -> tuple[int, list[list[str]], str]:
    """Exit code, the cells of the tables' rows, and the output in one line of single spaces."""
    result = runner.invoke(cli, list(args), env={"COLUMNS": "200"})
    assert "Traceback" not in result.output
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in result.output.splitlines()
        if line.startswith("│")
    ]
    return result.exit_code, rows, " ".join((result.output + (result.stderr or "")).split())


def test_create_with_metrics_and_print_the_front(
    factory: sessionmaker[Session], db_url: str
) -> None:
    code, _, text = run(
        "experiment", "create", "traded", "--objective", "bowl", "--trials", "4", "--seed", "1",
        "--metric", "accuracy:maximize", "--metric", "fit_seconds:minimize:upper=2",
        "--db", db_url,
    )  # fmt: skip
    assert code == 0, text
    with session_scope(factory) as s:
        [experiment] = s.query(Experiment).all()
        assert experiment.metrics == [
            {"name": "accuracy", "direction": "maximize"},
            {"name": "fit_seconds", "direction": "minimize", "upper": 2.0},
        ]
        eid = experiment.id
    ids = []
    for value, seconds in [(0.9, 1.0), (0.95, 1.5), (0.99, 3.0), (0.8, 1.2)]:
        with session_scope(factory) as s:
            claim = ask(s, objectives=None, worker="w")
            assert claim is not None
            tell(
                s,
                claim.trial_id,
                ticket=claim.ticket,
                state=TrialState.COMPLETE,
                value=value,
                metrics={"fit_seconds": seconds},
            )
            ids.append(str(claim.trial_id))
    code, rows, text = run("experiment", "pareto", str(eid), "--db", db_url)
    assert code == 0, text
    search = rows[0][1]
    assert rows == [[ids[1], search, "0.95", "1.5"], [ids[0], search, "0.9", "1"]]
    assert "accuracy (max)" in text and "fit_seconds (min)" in text
    assert "2 on the front of 4 complete; 1 infeasible, 0 missing a metric" in text


def test_a_bad_metric_is_one_line_naming_it(db_url: str) -> None:
    code, _, text = run(
        "experiment", "create", "bad", "--objective", "bowl",
        "--metric", "a:maximize", "--metric", "a:minimize", "--db", db_url,
    )  # fmt: skip
    assert code == 1 and "metrics.1.name" in text and "declared twice" in text
    code, _, text = run(
        "experiment", "create", "bad", "--objective", "bowl", "--metric", "a", "--db", db_url
    )
    assert code != 0 and "NAME:DIRECTION" in text
