"""POST /api/searches/{id}/refine: the child's space is the parent's narrowed to the region."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.support.bodies import OWN, SPACE, announce_own, body, own_body


@pytest.fixture(autouse=True)
def own(client: TestClient) -> None:
    """A worker announced OWN, which takes any parameter: refines over ints and categories."""
    announce_own(client)


@pytest.fixture
def root(client: TestClient) -> dict[str, Any]:
    """The root search of a fresh experiment over MIXED."""
    created = client.post("/api/experiments", json=own_body()).json()
    return created["searches"][0]


def test_refine_creates_a_child_over_the_region(client: TestClient, root: dict) -> None:
    response = client.post(
        f"/api/searches/{root['id']}/refine",
        json={
            "region": {"learning_rate": [1e-4, 1e-2], "layers": [1.5, 3], "solver": ["adam"]},
            "n_trials": 7,
            "seed": 9,
        },
    )
    assert response.status_code == 201, response.text
    child = response.json()
    assert child["parent_id"] == root["id"]
    assert child["n_trials"] == 7 and child["seed"] == 9 and child["sampler"] == "random"
    assert child["space"] == {
        "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
        "x": SPACE["x"],
        "layers": {"type": "int", "low": 2, "high": 3},
        "solver": {"type": "categorical", "choices": ["adam"]},
    }
    assert child["region"] == {
        "learning_rate": [1e-4, 1e-2],
        "layers": [2, 3],
        "solver": ["adam"],
    }
    experiment = client.get(f"/api/experiments/{root['experiment_id']}").json()
    assert [s["id"] for s in experiment["searches"]] == [root["id"], child["id"]]


def test_refining_a_child_narrows_further(client: TestClient, root: dict) -> None:
    url = "/api/searches/{}/refine"
    fine = client.post(url.format(root["id"]), json={"region": {"x": [0.2, 0.6]}}).json()
    finer = client.post(url.format(fine["id"]), json={"region": {"x": [0.3, 0.4]}})
    assert finer.status_code == 201
    assert finer.json()["space"]["x"] == {"type": "float", "low": 0.3, "high": 0.4}
    outside = client.post(url.format(fine["id"]), json={"region": {"x": [0.1, 0.4]}})
    assert outside.status_code == 422
    assert "outside the parent's range [0.2, 0.6]" in outside.json()["message"]


@pytest.mark.parametrize(
    ("payload", "loc", "fragment"),
    [
        (
            {"region": {"learning_rate": [1e-2, 1e-4]}},
            ["body", "region", "learning_rate"],
            "less than high",
        ),
        (
            {"region": {"learning_rate": [1e-8, 1e-4]}},
            ["body", "region", "learning_rate"],
            "outside",
        ),
        (
            {"region": {"learning_rate": [-1, 1e-4]}},
            ["body", "region", "learning_rate"],
            "positive",
        ),
        (
            {"region": {"learning_rate": [0, 1e-4]}},
            ["body", "region", "learning_rate"],
            "positive",
        ),
        ({"region": {"x": [0.5]}}, ["body", "region", "x"], "pair"),
        ({"region": {"nope": [0, 1]}}, ["body", "region", "nope"], "not a parameter"),
        ({"region": {"solver": ["rmsprop"]}}, ["body", "region", "solver"], "not one of"),
        ({"region": {}}, ["body", "region"], "at least 1"),
        ({"region": {"x": [0.1, 0.2]}, "n_trials": 0}, ["body", "n_trials"], "greater than"),
        ({"region": {"x": [0.1, 0.2]}, "sampler": "magic"}, ["body", "sampler"], "unknown"),
        ({"n_trials": 3}, ["body", "region"], "Field required"),
    ],
)
def test_bad_regions_get_a_422_and_create_nothing(
    client: TestClient, root: dict, payload: dict, loc: list, fragment: str
) -> None:
    response = client.post(f"/api/searches/{root['id']}/refine", json=payload)
    assert response.status_code == 422, response.text
    item = response.json()["detail"][0]
    assert item["loc"] == loc
    assert fragment in item["msg"]
    experiment = client.get(f"/api/experiments/{root['experiment_id']}").json()
    assert len(experiment["searches"]) == 1


def test_refining_an_unknown_search_is_404(client: TestClient) -> None:
    response = client.post("/api/searches/42/refine", json={"region": {"x": [0.1, 0.2]}})
    assert response.status_code == 404


def test_suggest_region_boxes_the_best_trials_and_flags_edges(
    client: TestClient, root: dict, factory: Any
) -> None:
    from app.store.claims import ask
    from app.store.db import session_scope
    from app.store.models import TrialState
    from app.store.results import tell

    empty = client.get(f"/api/searches/{root['id']}/suggest-region")
    assert empty.status_code == 409
    with session_scope(factory) as s:
        for _ in range(4):
            claim = ask(s, objectives=None, worker="t")
            # Lower x is better: the best trials crowd the low end of x.
            tell(s, claim.trial_id, state=TrialState.COMPLETE, value=claim.params["x"])
    suggested = client.get(
        f"/api/searches/{root['id']}/suggest-region", params={"top_fraction": 0.5}
    ).json()
    assert suggested["n_complete"] == 4
    low, high = suggested["region"]["x"]
    trials = client.get(f"/api/searches/{root['id']}/trials").json()
    best_two = sorted(t["params"]["x"] for t in trials)[:2]
    assert low <= best_two[0] and best_two[1] <= high
    refined = client.post(
        f"/api/searches/{root['id']}/refine", json={"region": suggested["region"]}
    )
    assert refined.status_code == 201
    bad = client.get(f"/api/searches/{root['id']}/suggest-region", params={"top_fraction": 0})
    assert bad.status_code == 422


def test_conditional_and_fixed_parameters_through_the_api(client: TestClient) -> None:
    space = {  # parameters mlp-digits takes, momentum only with sgd as its own space has it
        "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
        "momentum": {"type": "float", "low": 0.5, "high": 0.99, "condition": {"solver": ["sgd"]}},
        "layers": {"type": "fixed", "value": 2},
    }
    created = client.post("/api/experiments", json=body(objective="mlp-digits", space=space))
    assert created.status_code == 201, created.text
    assert created.json()["space"] == space
    bad = client.post(
        "/api/experiments",
        json=body(
            objective="mlp-digits",
            space={**space, "momentum": {**space["momentum"], "condition": {"opt": ["x"]}}},
        ),
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][:4] == ["body", "space", "momentum", "condition"]


@pytest.mark.parametrize(
    ("search", "loc"),
    [
        ({"sampler": "grid", "options": {"resolution": 2}, "n_trials": 1000}, "n_trials"),
        ({"sampler": "grid", "options": {"shape": 2}}, "options"),
        ({"sampler": "random", "pruner": {"type": "hyperband"}}, "pruner"),
        ({"sampler": "random", "pruner": {"type": "median", "n_startup_trials": -1}}, "pruner"),
    ],
)
def test_impossible_searches_are_refused(client: TestClient, search: dict, loc: str) -> None:
    response = client.post("/api/experiments", json=body(search=search))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:3] == ["body", "search", loc]


@pytest.mark.parametrize(
    ("search", "loc"),
    [
        ({"sampler": "nsga2", "options": {"population_size": 1}}, ["options", "population_size"]),
        ({"sampler": "nsga2", "options": {"crossover_prob": -0.1}}, ["options", "crossover_prob"]),
        ({"sampler": "nsga2", "options": {"elitism": True}}, ["options", "elitism"]),
        (
            {"sampler": "tpe", "options": {"n_startup_trials": 0.5}},
            ["options", "n_startup_trials"],
        ),
    ],
)
def test_bad_options_of_optunas_samplers_are_refused_at_the_option(
    client: TestClient, search: dict, loc: list[str]
) -> None:
    response = client.post("/api/experiments", json=body(search=search))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "search", *loc]


@pytest.mark.parametrize("sampler", ["tpe", "nsga2"])
def test_optunas_samplers_without_optuna_are_refused_at_sampler(
    client: TestClient, root: dict, sampler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "optuna" else real(n, *a)
    )
    made = client.post("/api/experiments", json=body(search={"sampler": sampler}))
    refined = client.post(
        f"/api/searches/{root['id']}/refine",
        json={"region": {"x": [0.2, 0.6]}, "sampler": sampler},
    )
    for response, loc in ((made, ["body", "search", "sampler"]), (refined, ["body", "sampler"])):
        assert response.status_code == 422, response.text
        detail = response.json()["detail"][0]
        assert detail["loc"] == loc
        assert f"the {sampler} sampler needs Optuna: pip install 'hyperzoom[tpe]'" in detail["msg"]


def test_every_sampler_runs_from_the_api(client: TestClient, factory: Any) -> None:
    from app.store.claims import ask
    from app.store.db import session_scope
    from app.store.models import TrialState
    from app.store.results import tell

    for sampler in ("random", "grid", "sobol", "halton", "lhs", "zoom", "tpe", "nsga2"):
        created = client.post(
            "/api/experiments", json=body(name=sampler, search={"sampler": sampler, "n_trials": 6})
        )
        assert created.status_code == 201, created.text
    with session_scope(factory) as s:
        while (claim := ask(s, objectives=None, worker="t")) is not None:
            tell(s, claim.trial_id, state=TrialState.COMPLETE, value=claim.params["x"])
    for experiment in client.get("/api/experiments").json():
        assert experiment["counts"]["complete"] == 6, experiment["name"]


def test_enqueue_a_hand_picked_configuration(client: TestClient, root: dict) -> None:
    params = {"learning_rate": 1e-3, "x": 0.5, "layers": 2, "solver": "adam"}
    enqueued = client.post(f"/api/searches/{root['id']}/trials", json=params)
    assert enqueued.status_code == 201, enqueued.text
    assert enqueued.json()["state"] == "waiting" and enqueued.json()["params"] == params
    outside = client.post(f"/api/searches/{root['id']}/trials", json={**params, "x": 2.0})
    assert outside.status_code == 422
    assert outside.json()["detail"][0]["loc"] == ["body", "x"]
    claim = client.post("/api/trials/ask", json={"worker": "w", "objectives": [OWN]}).json()
    assert claim["params"] == params


def test_a_search_carries_the_reaping_policy_it_was_made_with(client: TestClient) -> None:
    """Issue 14, item 14: set at creation, shown on every read, kept by refinements."""
    made = client.post(
        "/api/experiments", json=body(search={"n_trials": 4, "heartbeat_timeout": 5})
    ).json()
    root = made["searches"][0]
    assert (root["heartbeat_timeout"], root["max_retries"]) == (5, 2)  # the server's retries
    child = client.post(
        f"/api/searches/{root['id']}/refine", json={"region": {"x": [0.1, 0.2]}, "max_retries": 0}
    ).json()
    assert (child["heartbeat_timeout"], child["max_retries"]) == (5, 0)
    bad = client.post("/api/experiments", json=body(search={"heartbeat_timeout": 0}))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "search", "heartbeat_timeout"]


def record(client: TestClient, factory: Any, search_id: int, params: dict, value: float) -> int:
    """Run a hand-picked configuration on a search: enqueue it, claim it and tell its value."""
    from app.store.claims import ask
    from app.store.db import session_scope
    from app.store.models import TrialState
    from app.store.results import tell

    enqueued = client.post(f"/api/searches/{search_id}/trials", json=params)
    assert enqueued.status_code == 201, enqueued.text
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="t")
        assert claim is not None and claim.trial_id == enqueued.json()["id"]
        tell(s, claim.trial_id, state=TrialState.COMPLETE, value=value)
    return claim.trial_id


def lineage(client: TestClient, factory: Any, incumbent_x: float) -> tuple[dict, dict, int]:
    """A root whose best trial sits at x = incumbent_x and a child over x in [0.2, 0.8] whose
    own best trials crowd x = 0.55; returns root, child and the incumbent's trial id."""
    created = client.post(
        "/api/experiments", json=own_body(search={"sampler": "random", "n_trials": 10, "seed": 5})
    ).json()
    root = created["searches"][0]
    base = {"learning_rate": 1e-3, "layers": 2, "solver": "adam"}
    best = record(client, factory, root["id"], {**base, "x": incumbent_x}, 0.5)
    record(client, factory, root["id"], {**base, "x": 0.3}, 0.8)
    record(client, factory, root["id"], {**base, "x": 0.9}, 9.0)
    child = client.post(
        f"/api/searches/{root['id']}/refine", json={"region": {"x": [0.2, 0.8]}, "n_trials": 30}
    ).json()
    for i in range(25):
        x = 0.2 + 0.6 * i / 24
        record(client, factory, child["id"], {**base, "x": x}, 1.0 + (x - 0.55) ** 2)
    return root, child, best


def test_suggest_region_on_a_child_keeps_the_incumbent_of_its_parent(
    client: TestClient, factory: Any
) -> None:
    """Issue 16, finding 3: the child's own best trials draw a box that loses the parent's
    best trial; the suggestion widens it and says so."""
    root, child, best = lineage(client, factory, incumbent_x=0.25)
    url = f"/api/searches/{child['id']}/suggest-region"
    found = client.get(url).json()
    assert found["n_complete"] == 25
    assert found["region"]["x"][0] <= 0.25 <= found["region"]["x"][1]
    assert found["incumbent"] == {
        "trial_id": best,
        "search_id": root["id"],
        "value": 0.5,
        "params": {"learning_rate": 1e-3, "x": 0.25, "layers": 2, "solver": "adam"},
        "inside": True,
        "in_box": True,
    }
    assert found["incumbent_inside"] is True and found["best_inside"] == found["incumbent"]
    assert found["widened"] == ["x"]
    assert found["optimum"]["x"] == "interior"
    preview = client.post(
        f"/api/searches/{child['id']}/refine",
        json={"region": {"layers": [2, 2]}, "dry_run": True},
    ).json()
    assert preview["ranges"]["x"]["suggested"] == found["region"]["x"]  # the page offers it too
    refined = client.post(f"/api/searches/{child['id']}/refine", json={"region": found["region"]})
    assert refined.status_code == 201, refined.text

    dropped = client.get(url, params={"keep_incumbent": "false"}).json()
    assert dropped["region"]["x"][0] > 0.25
    assert dropped["incumbent"]["in_box"] is False and dropped["widened"] == []


def test_suggest_region_names_an_incumbent_outside_the_childs_space(
    client: TestClient, factory: Any
) -> None:
    root, child, best = lineage(client, factory, incumbent_x=0.1)
    found = client.get(f"/api/searches/{child['id']}/suggest-region").json()
    assert found["incumbent"]["trial_id"] == best and found["incumbent_inside"] is False
    assert found["incumbent"]["in_box"] is False
    assert found["best_inside"]["params"]["x"] == 0.3  # the parent's next best, inside
    assert found["best_inside"]["in_box"] and found["region"]["x"][0] <= 0.3


def test_a_suggested_upper_bound_at_the_edge_is_exact(client: TestClient, factory: Any) -> None:
    """Issue 16, finding 4: 1.0, not 0.9999999999999999, and 1e-6 on the log scale."""
    created = client.post(
        "/api/experiments", json=own_body(search={"sampler": "random", "n_trials": 10, "seed": 5})
    ).json()
    root = created["searches"][0]["id"]
    for i in range(6):
        x = float(np.nextafter(0.9, 0.0)) - 0.01 * i
        params = {"learning_rate": 1e-6 * 1.5**i, "x": x, "layers": 1, "solver": "sgd"}
        record(client, factory, root, params, float(i))
    found = client.get(f"/api/searches/{root}/suggest-region").json()
    assert found["region"]["x"][1] == 1.0
    assert found["region"]["learning_rate"][0] == 1e-6
