"""Several objectives through the API: an experiment declares metrics (checked, 422 naming the
field), a claim names the first as the value's key, the Pareto answer over a real SQLite file
(directions, bounds, missing metrics, a subtree), and export/import carry the declaration."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.results import tell
from tests.support.bodies import body

METRICS = [
    {"name": "accuracy", "direction": "maximize"},
    {"name": "fit_seconds", "direction": "minimize", "upper": 2.0},
]


def created(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/experiments", json=body(**{"direction": None, **overrides}))
    assert response.status_code == 201, response.text
    return response.json()


def finish(
    factory: sessionmaker[Session], results: list[tuple[float, dict[str, Any] | None]]
) -> list[int]:
    """Claim and complete one trial per (value, metrics), as a worker tells them; their ids."""
    ids = []
    for value, metrics in results:
        with session_scope(factory) as s:
            claim = ask(s, objectives=None, worker="w")
            assert claim is not None and claim.metric == "accuracy"
            tell(
                s,
                claim.trial_id,
                ticket=claim.ticket,
                state=TrialState.COMPLETE,
                value=value,
                metrics=metrics,
            )
            ids.append(claim.trial_id)
    return ids


def test_an_experiment_with_metrics_reads_back_and_follows_its_first(client: TestClient) -> None:
    experiment = created(client, metrics=METRICS)
    assert experiment["metrics"] == [
        {"name": "accuracy", "direction": "maximize", "lower": None, "upper": None},
        {"name": "fit_seconds", "direction": "minimize", "lower": None, "upper": 2.0},
    ]
    assert experiment["direction"] == "maximize"  # the first metric's
    assert client.get(f"/api/experiments/{experiment['id']}").json() == experiment
    plain = created(client, direction="minimize")
    assert plain["metrics"] is None and plain["direction"] == "minimize"
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert (
        "first is the trial's `value`"
        in schema["ExperimentCreate"]["properties"]["metrics"]["description"]
    )


@pytest.mark.parametrize(
    ("metrics", "where"),
    [
        ([], ["body", "metrics"]),
        (
            METRICS + [{"name": "accuracy", "direction": "minimize"}],
            ["body", "metrics", 2, "name"],
        ),
        ([{"name": "a", "direction": "sideways"}], ["body", "metrics", 0, "direction"]),
        (
            [{"name": "a", "direction": "maximize", "lower": 3, "upper": 1}],
            ["body", "metrics", 0, "lower"],
        ),
        ([{"name": "a", "direction": "maximize", "weight": 2}], ["body", "metrics", 0, "weight"]),
    ],
)
def test_bad_metrics_are_refused_naming_the_field(
    client: TestClient, metrics: list[Any], where: list[Any]
) -> None:
    response = client.post("/api/experiments", json=body(direction=None, metrics=metrics))
    assert response.status_code == 422, response.text
    assert [item["loc"][: len(where)] for item in response.json()["detail"]] == [where]


def test_a_direction_against_the_first_metric_is_refused(client: TestClient) -> None:
    response = client.post("/api/experiments", json=body(direction="minimize", metrics=METRICS))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "direction"]


def test_the_front_respects_directions_bounds_and_missing_metrics(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment = created(client, metrics=METRICS, search={"n_trials": 8, "seed": 1})
    ids = finish(
        factory,
        [
            (0.90, {"fit_seconds": 1.0}),  # front
            (0.95, {"fit_seconds": 1.5}),  # front
            (0.99, {"fit_seconds": 3.0}),  # too slow: infeasible
            (0.85, {"fit_seconds": 1.2}),  # dominated by the first
            (0.95, {"fit_seconds": 1.5}),  # a tie with the second: front too
            (0.97, {"other": 1.0}),  # no fit_seconds: missing
            (0.80, {"fit_seconds": "fast"}),  # not a number: missing
        ],
    )
    answer = client.get(f"/api/experiments/{experiment['id']}/pareto").json()
    assert answer["trial_ids"] == [ids[0], ids[1], ids[4]]
    assert answer["infeasible_ids"] == [ids[2]]
    assert answer["missing_ids"] == [ids[5], ids[6]]
    assert [m["name"] for m in answer["metrics"]] == ["accuracy", "fit_seconds"]
    assert answer["n_complete"] == 7


def test_the_front_of_a_subtree_and_of_one_objective(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment = created(client, metrics=METRICS, search={"n_trials": 2, "seed": 1})
    root = experiment["root_search_id"]
    first = finish(factory, [(0.9, {"fit_seconds": 0.5}), (0.6, {"fit_seconds": 0.4})])
    child = client.post(
        f"/api/searches/{root}/refine", json={"region": {"x": [0.0, 0.5]}, "n_trials": 1}
    )
    assert child.status_code == 201, child.text
    [late] = finish(factory, [(0.95, {"fit_seconds": 0.6})])  # the most accurate
    eid = experiment["id"]
    assert client.get(f"/api/experiments/{eid}/pareto").json()["trial_ids"] == [*first, late]
    only_child = client.get(
        f"/api/experiments/{eid}/pareto", params={"search": child.json()["id"]}
    )
    assert only_child.json()["trial_ids"] == [late]
    other = created(client)
    stranger = client.get(f"/api/experiments/{eid}/pareto", params={"search": other["id"] + 99})
    assert stranger.status_code == 422 and stranger.json()["detail"][0]["loc"] == [
        "query",
        "search",
    ]
    assert client.get("/api/experiments/999999/pareto").status_code == 404


def test_one_objective_has_the_best_trials_as_its_front(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment = created(client, direction="minimize")
    with session_scope(factory) as s:
        for value in (3.0, 1.0, 1.0, 2.0):
            claim = ask(s, objectives=None, worker="w")
            assert claim is not None and claim.metric is None
            tell(s, claim.trial_id, ticket=claim.ticket, state=TrialState.COMPLETE, value=value)
    answer = client.get(f"/api/experiments/{experiment['id']}/pareto").json()
    assert len(answer["trial_ids"]) == 2
    assert answer["metrics"][0]["name"] == "value"


def test_export_and_import_carry_the_metrics(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    experiment = created(client, metrics=METRICS)
    finish(factory, [(0.9, {"fit_seconds": 1.0})])
    document = client.get(f"/api/experiments/{experiment['id']}/export").json()
    assert document["experiment"]["metrics"] == [
        {"name": "accuracy", "direction": "maximize"},
        {"name": "fit_seconds", "direction": "minimize", "upper": 2.0},
    ]
    imported = client.post("/api/experiments/import", json=document)
    assert imported.status_code == 201, imported.text
    assert imported.json()["metrics"] == experiment["metrics"]
    pareto = client.get(f"/api/experiments/{imported.json()['id']}/pareto").json()
    assert len(pareto["trial_ids"]) == 1

    plain = client.get(f"/api/experiments/{created(client)['id']}/export").json()
    assert "metrics" not in plain["experiment"]  # older documents look as they did
    assert client.post("/api/experiments/import", json=plain).json()["metrics"] is None

    document["experiment"]["metrics"][1]["direction"] = "up"
    refused = client.post("/api/experiments/import", json=document)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "experiment", "metrics", 1, "direction"]
