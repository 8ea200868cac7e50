"""`hz.import_optuna`: a study written by the real optuna package becomes a search in Python,
with the study's values, and a refinement of it runs on a Python function."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest

import hyperzoom as hz
from hyperzoom.connection import close_all
from tests.support.optuna_studies import two_objectives, write_study, write_with


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    close_all()


def test_a_study_comes_in_with_its_values_and_refines_on_a_function(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    storage = write_study(tmp_path / "optuna.db", n_trials=30)
    study = optuna.load_study(study_name="mlp", storage=storage)
    with pytest.warns(hz.ImportNotice):  # the study's string attribute is left out
        search = hz.import_optuna(storage, db=sqlite_db_url)
    theirs = {t.number: t for t in study.trials}
    ours = search.trials
    assert len(ours) == len(theirs)
    complete = [t for t in ours if t.state == "complete"]
    assert complete and all(t.value == theirs[t.number].value for t in complete)
    best = min(complete, key=lambda t: t.value)
    assert search.best["value"] == best.value == study.best_value

    lr = best.params["lr"]
    child = search.refine({"lr": [lr / 2, min(lr * 2, 1.0)]}, n_trials=4)
    assert child.optimize(lambda p: p["lr"], show_progress=False) == 4
    assert all(lr / 2 <= t.params["lr"] <= lr * 2 for t in child.trials)


def test_refusals_are_hyperzoom_errors(tmp_path: Path, sqlite_db_url: str) -> None:
    with pytest.raises(hz.HyperzoomError, match="does not exist"):
        hz.import_optuna(f"sqlite:///{tmp_path / 'missing.db'}", db=sqlite_db_url)
    path = tmp_path / "two.db"
    write_with(path, two_objectives, "pair", 4, directions=["minimize", "minimize"])
    write_study(path, name="other", n_trials=2)
    with pytest.raises(hz.HyperzoomError, match="pair"):  # several studies: names listed
        hz.import_optuna(f"sqlite:///{path}", db=sqlite_db_url)
    with pytest.warns(hz.ImportNotice, match="objective"):
        hz.import_optuna(f"sqlite:///{path}", "pair", db=sqlite_db_url)
