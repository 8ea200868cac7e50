"""The worker protocol over HTTP: ask, report, heartbeat, tell, release; a notebook's view."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.support.bodies import body
from tests.support.protocol import ask, create, nested


def test_drive_trials_by_hand(client: TestClient) -> None:
    experiment = create(client, pruner={"type": "median", "n_startup_trials": 1})
    first, second = ask(client), ask(client)
    assert ask(client) is None
    assert (first["number"], second["number"]) == (0, 1)
    assert first["attempt"] == 0 and first["pruned_by"] == "median"
    url = f"/api/trials/{first['trial_id']}"
    held = {"ticket": first["ticket"]}
    assert client.post(f"{url}/heartbeat", json=held).status_code == 204
    for step, value in enumerate([0.5, 0.4, 0.3]):
        answer = client.post(f"{url}/report", json={**held, "step": step, "value": value})
        assert answer.json() == {"prune": False}
    told = client.post(
        f"{url}/tell",
        json={**held, "state": "complete", "value": 0.3, "metrics": {"accuracy": 0.9}},
    )
    assert told.status_code == 204
    detail = client.get(url).json()
    assert detail["state"] == "complete" and detail["metrics"] == {"accuracy": 0.9}
    assert detail["intermediate_values"] == [[0, 0.5], [1, 0.4], [2, 0.3]]
    # The second trial's curve is worse than the first's at step 0: the median pruner says stop.
    url2 = f"/api/trials/{second['trial_id']}"
    held2 = {"ticket": second["ticket"]}
    answer = client.post(f"{url2}/report", json={**held2, "step": 0, "value": 0.9})
    assert answer.json() == {"prune": True}
    client.post(f"{url2}/tell", json={**held2, "state": "pruned", "value": 0.9})
    search = client.get(f"/api/searches/{experiment['root_search_id']}").json()
    assert search["status"] == "done"
    assert search["counts"]["complete"] == 1 and search["counts"]["pruned"] == 1


def test_a_result_for_a_stale_attempt_is_a_409_and_changes_nothing(client: TestClient) -> None:
    create(client)
    claim = ask(client)
    url = f"/api/trials/{claim['trial_id']}"
    held = {"ticket": claim["ticket"]}
    assert client.post(f"{url}/release", json=held).status_code == 204
    stale = client.post(f"{url}/tell", json={**held, "state": "complete", "value": 1.0})
    assert stale.status_code == 409
    assert "no longer current" in stale.json()["message"]
    assert client.post(f"{url}/heartbeat", json=held).status_code == 409
    again = ask(client)
    assert again["trial_id"] == claim["trial_id"] and again["params"] == claim["params"]
    assert client.get(url).json()["state"] == "running"


def test_bad_protocol_input_is_a_422_naming_the_field(client: TestClient) -> None:
    create(client)
    claim = ask(client)
    url = f"/api/trials/{claim['trial_id']}"
    held = {"ticket": claim["ticket"]}
    cases = [
        ("tell", {**held, "state": "complete"}, ["body", "value"]),
        ("tell", {**held, "state": "running", "value": 1}, ["body", "state"]),
        ("tell", {**held, "state": "complete", "value": "NaN"}, ["body", "value"]),
        ("report", {**held, "step": -1, "value": 1}, ["body", "step"]),
        ("report", {**held, "step": 1, "value": "Infinity"}, ["body", "value"]),
        ("heartbeat", {"ticket": 7}, ["body", "ticket"]),
        ("heartbeat", {"attempt": 0}, ["body", "ticket"]),
    ]
    for verb, payload, loc in cases:
        response = client.post(f"{url}/{verb}", json=payload)
        assert response.status_code == 422, (verb, payload, response.text)
        assert response.json()["detail"][0]["loc"] == loc
    assert client.get(url).json()["state"] == "running"


def test_workers_register_objectives_the_server_then_accepts(client: TestClient) -> None:
    refused = client.post("/api/experiments", json=body(objective="pkg.train:run"))
    assert refused.status_code == 422
    assert "hyperzoom serve --objective" in refused.json()["message"]
    announced = client.post(
        "/api/objectives/register",
        json={
            "worker": "gpu:1",
            "objectives": [{"name": "pkg.train:run", "direction": "maximize"}],
        },
    )
    assert announced.status_code == 204
    names = [o["name"] for o in client.get("/api/objectives").json()]
    assert "pkg.train:run" in names
    assert client.post("/api/experiments", json=body(objective="pkg.train:run")).status_code == 201


def raw_tell(client: TestClient, url: str, ticket: str, metrics: str) -> Any:
    """A tell whose metrics are the JSON text given (deeper than a client library sends)."""
    text = f'{{"ticket": "{ticket}", "state": "complete", "value": 1.0, "metrics": {metrics}}}'
    return client.post(f"{url}/tell", content=text, headers={"content-type": "application/json"})


def test_metrics_nested_too_deep_or_too_large_are_a_422_and_reads_keep_working(
    client: TestClient,
) -> None:
    """Issue 14, item 12: a 900-byte tell of metrics nested 300 deep was a 204, and then every
    read of the experiment's trials was a 500; 900 deep was a 500 itself."""
    experiment = create(client, n_trials=4)
    claim = ask(client)
    url = f"/api/trials/{claim['trial_id']}"
    for depth in (300, 900):
        told = raw_tell(client, url, claim["ticket"], '{"m": ' + "[" * depth + "]" * depth + "}")
        assert told.status_code == 422, told.text[:300]
        assert told.json()["detail"][0]["loc"][:3] == ["body", "metrics", "m"]
        assert "nested more than 32 levels deep" in told.json()["message"]
    large = client.post(
        f"{url}/tell",
        json={
            "ticket": claim["ticket"],
            "state": "complete",
            "value": 1.0,
            "metrics": {"m": "x" * 1_100_000},
        },
    )
    assert large.status_code == 422 and "more than 1,000,000 bytes" in large.json()["message"]
    assert client.get(url).json()["state"] == "running"
    fine = {"m": nested(31), "n": 0.5}
    assert raw_tell(client, url, claim["ticket"], json.dumps(fine)).status_code == 204
    assert client.get(url).json()["metrics"] == fine
    e = experiment["id"]
    for path in (f"/api/experiments/{e}/trials", f"/api/experiments/{e}/trials/columns"):
        assert client.get(path).status_code == 200


def test_an_objective_space_nested_too_deep_is_refused_at_registration(
    client: TestClient,
) -> None:
    """Issue 14, item 12: a space nested 300 deep was registered, then GET /api/objectives
    was a 500 for everyone."""
    deep = {"x": {"type": "categorical", "choices": [nested(300)]}}
    announced = client.post(
        "/api/objectives/register",
        json={
            "worker": "gpu:1",
            "objectives": [{"name": "deep", "direction": "maximize", "space": deep}],
        },
    )
    assert announced.status_code == 422, announced.text[:300]
    assert announced.json()["detail"][0]["loc"][:5] == ["body", "objectives", 0, "space", "x"]
    assert client.get("/api/objectives").status_code == 200


def test_a_claim_is_bound_to_its_holder_by_a_ticket(client: TestClient) -> None:
    """Anyone may read a trial's id and attempt; only the asker holds the ticket."""
    create(client)
    claim = ask(client)
    url = f"/api/trials/{claim['trial_id']}"
    seen = client.get(url).json()
    assert "ticket" not in seen and claim["ticket"] not in json.dumps(seen)
    guessed = {"ticket": "0" * 32}
    for verb, extra in [
        ("heartbeat", {}),
        ("report", {"step": 0, "value": 1.0}),
        ("tell", {"state": "complete", "value": 1.0}),
    ]:
        refused = client.post(f"{url}/{verb}", json={**guessed, **extra})
        assert refused.status_code == 409, (verb, refused.text)
    assert client.post(f"{url}/release", json=guessed).status_code == 204  # a no-op, as today
    assert client.get(url).json()["state"] == "running" and client.get(url).json()["attempt"] == 0
    missing = client.post(f"{url}/heartbeat", json={"attempt": claim["attempt"]})
    assert missing.status_code == 422 and "ticket" in missing.json()["message"]
    held = {"ticket": claim["ticket"]}
    assert client.post(f"{url}/heartbeat", json=held).status_code == 204
    told = client.post(f"{url}/tell", json={**held, "state": "complete", "value": 0.5})
    assert told.status_code == 204, told.text
    assert client.get(url).json()["value"] == 0.5
