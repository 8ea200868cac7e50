"""The bulk learning-curves endpoint: many trials' intermediate values in one request."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.store.claims import ask
from app.store.db import session_scope
from app.store.models import TrialState
from app.store.results import report, tell
from tests.support.bodies import body


def _play(factory: sessionmaker[Session], steps: list[float]) -> int:
    """Claim a trial, report `steps` as its curve (in reverse order), complete it; its id."""
    with session_scope(factory) as s:
        claim = ask(s, objectives=None, worker="t")
    assert claim is not None
    with session_scope(factory) as s:
        for step in reversed(range(len(steps))):
            report(s, claim.trial_id, claim.ticket, step, steps[step])
        tell(s, claim.trial_id, state=TrialState.COMPLETE, value=steps[-1] if steps else 0.0)
    return claim.trial_id


def test_curves_of_several_trials_in_step_order(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    created = client.post("/api/experiments", json=body()).json()
    a = _play(factory, [3.0, 2.0, 1.5])
    b = _play(factory, [])
    c = _play(factory, [9.0, 4.0])
    got = client.get(f"/api/experiments/{created['id']}/curves", params={"trial_id": [c, a, b, a]})
    assert got.status_code == 200, got.text
    assert got.json() == {
        "curves": [
            {"trial_id": a, "steps": [0, 1, 2], "values": [3.0, 2.0, 1.5]},
            {"trial_id": b, "steps": [], "values": []},
            {"trial_id": c, "steps": [0, 1], "values": [9.0, 4.0]},
        ]
    }
    # The single-trial endpoint agrees.
    single = client.get(f"/api/trials/{a}").json()["intermediate_values"]
    assert single == [[0, 3.0], [1, 2.0], [2, 1.5]]


def test_trials_of_other_experiments_and_unknown_ids_are_left_out(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    first = client.post("/api/experiments", json=body(name="first")).json()
    mine = _play(factory, [1.0])
    second = client.post("/api/experiments", json=body(name="second")).json()
    # The first experiment's budget is 4: finish it so the next claim is the second's.
    for _ in range(3):
        _play(factory, [0.5])
    theirs = _play(factory, [2.0])
    url = f"/api/experiments/{second['id']}/curves"
    got = client.get(url, params={"trial_id": [mine, theirs, 999_999]}).json()
    assert [c["trial_id"] for c in got["curves"]] == [theirs]
    mine_only = client.get(f"/api/experiments/{first['id']}/curves", params={"trial_id": mine})
    assert mine_only.json()["curves"][0]["values"] == [1.0]


def test_bad_requests_get_the_error_model(client: TestClient) -> None:
    created = client.post("/api/experiments", json=body()).json()
    url = f"/api/experiments/{created['id']}/curves"
    for params in ({}, {"trial_id": "abc"}, {"trial_id": 0}, {"trial_id": list(range(1, 202))}):
        answer = client.get(url, params=params)
        assert answer.status_code == 422, params
        assert answer.json()["detail"][0]["loc"][:2] == ["query", "trial_id"]
    missing = client.get("/api/experiments/999999/curves", params={"trial_id": 1})
    assert missing.status_code == 404
    assert missing.json()["detail"][0]["type"] == "not_found"


def test_the_route_is_documented_and_guarded_like_the_other_reads(
    client: TestClient, settings: Settings
) -> None:
    operation = client.get("/openapi.json").json()["paths"][
        "/api/experiments/{experiment_id}/curves"
    ]
    get = operation["get"]
    assert {"200", "404", "422"} <= set(get["responses"])
    assert get["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )
    assert [p["name"] for p in get["parameters"]] == ["experiment_id", "trial_id"]

    from app.main import create_app

    guarded = Settings(database_url=settings.database_url, token="t", protect_reads=True)
    with TestClient(create_app(guarded)) as c:
        assert c.get("/api/experiments/1/curves", params={"trial_id": 1}).status_code == 401
