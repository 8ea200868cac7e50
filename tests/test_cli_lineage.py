"""`hyperzoom search compare A B` and `hyperzoom experiment lineage ID` on a SQLite file (--db),
with a parent and a child whose gain is known by hand (tests/support/lineage.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli.experiments import out
from app.cli.main import cli
from tests.support.lineage import make_lineage, record

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as their cells, whatever the terminal (or none) the tests run in: the
    console's width is fixed when it is made, from COLUMNS if set, so set it here."""
    monkeypatch.setattr(out, "_width", 200)


def run(*args: str) -> tuple[list[list[str]], str]:
    """Run a command that must succeed: the cells of its tables' rows (headers left out), and
    its whole output in one line of single spaces."""
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output + (result.stderr or "")
    assert "Traceback" not in result.output
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in result.output.splitlines()
        if line.startswith("│")
    ]
    return rows, " ".join(result.output.split())


def test_compare_prints_the_gain_over_the_parents_best_in_the_childs_region(
    client: TestClient, factory: sessionmaker[Session], db_url: str
) -> None:
    made = make_lineage(client, factory)
    root, child = str(made.root_id), str(made.child_id)
    rows, text = run("search", "compare", root, child, "--db", db_url)
    assert text.startswith(f"search {root} is an ancestor of search {child}")
    assert rows == [
        [root, "–", "5", "4", "0.2"],
        [child, root, "5", "4", "0.6"],
        # The root's best in the child's region is 0.8 (its 0.2 lies outside), beaten by the
        # child's third trial.
        [child, root, "0.8", "0.6", "+0.2", "3 of 5"],
    ]
    assert f"baseline: search {root}'s best among its trials inside search {child}'s region" in (
        text
    )


def test_compare_unrelated_searches_and_a_refusal(
    client: TestClient, factory: sessionmaker[Session], db_url: str
) -> None:
    made = make_lineage(client, factory)
    other = client.post(f"/api/experiments/{made.experiment_id}/searches", json={"n_trials": 2})
    other_id = other.json()["id"]
    for x, value in [(0.7, 0.9), (0.6, 0.7)]:
        record(client, factory, other_id, x, value)
    rows, text = run("search", "compare", str(made.child_id), str(other_id), "--db", db_url)
    assert text.startswith("neither descends from the other: their bests are compared")
    assert rows[-1] == [str(other_id), str(made.child_id), "0.6", "0.7", "-0.1", "not yet"]
    assert f"baseline: search {made.child_id}'s best" in text
    result = runner.invoke(cli, ["search", "compare", str(made.root_id), "999", "--db", db_url])
    assert result.exit_code == 1 and "999" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_lineage_prints_a_row_per_search(
    client: TestClient, factory: sessionmaker[Session], db_url: str
) -> None:
    made = make_lineage(client, factory)
    rows, text = run("experiment", "lineage", str(made.experiment_id), "--db", db_url)
    assert "after: the parent's trials finished when the search was made" in text
    # The child was made after the root's 5 trials; the root's best in x in [0.2, 0.5] is 0.8,
    # which the child's third trial beat.
    assert rows == [
        [str(made.root_id), "–", "–", "5", "0.2", "–", "–", "–", "whole space"],
        [f"↳ {made.child_id}", str(made.root_id), "5", "5", "0.6", "0.8", "+0.2", "3 of 5",
         "x 0.2..0.5"],
    ]  # fmt: skip


def test_lineage_lists_refinements_under_their_parents(
    client: TestClient, factory: sessionmaker[Session], db_url: str
) -> None:
    made = make_lineage(client, factory)
    refine = "/api/searches/{}/refine"
    sibling = client.post(refine.format(made.root_id), json={"region": {"x": [0.6, 0.85]}}).json()
    grandchild = client.post(
        refine.format(made.child_id), json={"region": {"x": [0.25, 0.35]}}
    ).json()
    assert made.child_id < sibling["id"] < grandchild["id"]
    rows, _ = run("experiment", "lineage", str(made.experiment_id), "--db", db_url)
    assert [r[0] for r in rows] == [
        str(made.root_id),
        f"↳ {made.child_id}",
        f"↳ {grandchild['id']}",
        f"↳ {sibling['id']}",
    ]
    # No trials yet: nothing to compare, but the grandchild's baseline is already known.
    by_id = {r[0].split()[-1]: r for r in rows}
    assert by_id[str(sibling["id"])][4:8] == ["–", "–", "–", "–"]  # no root trial in its box
    assert by_id[str(grandchild["id"])][4:8] == ["–", "0.6", "–", "not yet"]


def test_show_prints_each_refinements_gain_in_the_tree_of_searches(
    client: TestClient, factory: sessionmaker[Session], db_url: str
) -> None:
    made = make_lineage(client, factory)
    rows, text = run("experiment", "show", str(made.experiment_id), "--db", db_url)
    assert "┃ best ┃ gain ┃ to beat ┃ status ┃" in text
    # The lineage's numbers, as the page's tree shows them: the root's best in the child's box
    # is 0.8, which the child's third trial beat (its best, 0.6: a gain of 0.2).
    by_id = {r[0]: r for r in rows}
    assert by_id[str(made.root_id)][6:9] == ["0.2", "–", "–"]
    assert by_id[str(made.child_id)][6:9] == ["0.6", "+0.2", "3 of 5"]
