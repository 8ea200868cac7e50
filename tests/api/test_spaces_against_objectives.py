"""A space is checked against the parameters its objective declares (issue 19, item 5).

Before, `"lr"` instead of mlp-digits' `learning_rate_init` was stored with a 201 and every
trial then scored alike: the objective read its default rate and never saw `lr`.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli.main import cli
from app.core.space import SearchSpace
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction
from app.store.searches import SearchSettings
from tests.support.bodies import OWN, announce_own, body

MLP_TAKES = (
    "alpha, batch_size, beta_1, beta_2, hidden_units, layers, learning_rate_init, lr_decay, "
    "momentum, solver"
)
LR = {"type": "float", "low": 1e-5, "high": 1.0, "log": True}
ALPHA = {"type": "float", "low": 1e-7, "high": 1e-1, "log": True}


def test_a_parameter_the_objective_does_not_take_is_a_422_naming_it_and_nothing_is_stored(
    client: TestClient,
) -> None:
    refused = client.post(
        "/api/experiments",
        json=body(objective="mlp-digits", space={"alpha": ALPHA, "lr": LR}),
    )
    assert refused.status_code == 422, refused.text
    assert refused.json() == {
        "message": f'space.lr: mlp-digits does not take "lr"; it takes {MLP_TAKES}',
        "detail": [
            {
                "loc": ["body", "space", "lr"],
                "msg": f'mlp-digits does not take "lr"; it takes {MLP_TAKES}',
                "type": "value_error",
            }
        ],
    }
    assert client.get("/api/experiments").json() == []


def test_every_name_it_does_not_take_is_named(client: TestClient) -> None:
    space = {"lr": LR, "x": {"type": "float", "low": 0.0, "high": 1.0}, "wd": ALPHA}
    refused = client.post("/api/experiments", json=body(objective="lr-cliff", space=space))
    assert refused.status_code == 422
    assert refused.json()["message"] == (
        'space.x: lr-cliff does not take "x" or "wd"; it takes dropout, lr, weight_decay'
    )


def test_the_names_it_takes_are_accepted_in_any_subset(client: TestClient) -> None:
    space = {"learning_rate_init": LR, "solver": {"type": "categorical", "choices": ["adam"]}}
    created = client.post("/api/experiments", json=body(objective="mlp-digits", space=space))
    assert created.status_code == 201, created.text
    assert set(created.json()["space"]) == {"learning_rate_init", "solver"}


def test_a_new_root_search_is_checked_against_the_experiments_objective(
    client: TestClient,
) -> None:
    experiment = client.post("/api/experiments", json=body()).json()  # bowl
    url = f"/api/experiments/{experiment['id']}/searches"
    refused = client.post(url, json={"space": {"lr": LR}, "n_trials": 3})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "space", "lr"]
    assert (
        refused.json()["message"] == 'space.lr: bowl does not take "lr"; it takes learning_rate, x'
    )
    tree = client.get(f"/api/experiments/{experiment['id']}/tree").json()
    assert len(tree) == 1  # only the experiment's own root
    narrower = {"x": {"type": "float", "low": 0.1, "high": 0.5}}
    assert client.post(url, json={"space": narrower, "n_trials": 3}).status_code == 201


def test_a_space_a_worker_declares_is_checked_like_a_built_ins(client: TestClient) -> None:
    announced = {
        "name": "plugin-score",
        "direction": "maximize",
        "space": {"depth": {"type": "int", "low": 1, "high": 8}},
    }
    registered = client.post(
        "/api/objectives/register", json={"worker": "w", "objectives": [announced]}
    )
    assert registered.status_code == 204
    space = {"width": {"type": "int", "low": 1, "high": 8}}
    refused = client.post("/api/experiments", json=body(objective="plugin-score", space=space))
    assert refused.status_code == 422
    assert refused.json()["message"] == (
        'space.width: plugin-score does not take "width"; it takes depth'
    )


def test_an_objective_that_declares_nothing_takes_any_names(client: TestClient) -> None:
    announce_own(client)  # a function loaded by reference: `--objective train.py:objective`
    space = {"lr": LR, "anything": {"type": "categorical", "choices": ["a", "b"]}}
    created = client.post("/api/experiments", json=body(objective=OWN, space=space))
    assert created.status_code == 201, created.text
    root = client.post(
        f"/api/experiments/{created.json()['id']}/searches",
        json={"space": {"other": LR}, "n_trials": 2},
    )
    assert root.status_code == 201, root.text


def test_a_root_search_of_an_objective_the_server_no_longer_knows_takes_any_names(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    """An experiment imported, or made for a worker that has not registered here: nothing
    to check against, so the space is taken as it is, as before."""
    with session_scope(factory) as s:
        experiment, _ = create_experiment(
            s,
            name="elsewhere",
            objective="gone.train:objective",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict({"lr": LR}),
            settings=SearchSettings(n_trials=2, seed=1),
        )
        experiment_id = experiment.id
    root = client.post(
        f"/api/experiments/{experiment_id}/searches",
        json={"space": {"lr": LR, "depth": {"type": "int", "low": 1, "high": 3}}, "n_trials": 2},
    )
    assert root.status_code == 201, root.text


def test_the_cli_says_it_in_one_line_and_creates_nothing(db_url: str, tmp_path: Path) -> None:
    space_file = tmp_path / "space.json"
    space_file.write_text(json.dumps({"lr": LR, "alpha": ALPHA}))
    runner = CliRunner()
    args = [
        "experiment",
        "create",
        "typo",
        "--objective",
        "mlp-digits",
        "--space",
        str(space_file),
    ]
    result = runner.invoke(cli, [*args, "--db", db_url])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    assert f'space.lr: mlp-digits does not take "lr"; it takes {MLP_TAKES}' in result.stderr
    listed = runner.invoke(cli, ["experiment", "list", "--db", db_url])
    assert listed.exit_code == 0 and "typo" not in listed.output
