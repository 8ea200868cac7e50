"""Large categoricals answer quickly every way in; too large ones are refused (issue 14, 8).

Five categoricals of 10,000 choices took 9.3 s to create, 9.4 s per ask and 11 s to suggest a
region on a 2-core machine: the duplicate check compared every pair of choices and every ask
parsed the space again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.core.params import MAX_CHOICES
from tests.support.bodies import OWN, announce_own, body

WIDE = {
    f"c{k}": {"type": "categorical", "choices": [f"v{k}_{i}" for i in range(MAX_CHOICES)]}
    for k in range(5)
}


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """The call's result and its wall time in seconds."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def ask(client: TestClient) -> dict[str, Any]:
    """Claim a trial over the worker protocol."""
    response = client.post("/api/trials/ask", json={"worker": "w", "objectives": [OWN]})
    assert response.status_code == 200, response.text
    return response.json()


def test_wide_categoricals_create_ask_and_suggest_quickly(client: TestClient) -> None:
    announce_own(client)  # an objective that takes the categoricals c0 to c4
    search = {"sampler": "random", "n_trials": 20, "seed": 3}
    created, seconds = timed(
        lambda: client.post(
            "/api/experiments", json=body(objective=OWN, space=WIDE, search=search)
        )
    )
    assert created.status_code == 201, created.text
    assert seconds < 3.0
    for number in range(6):
        claim, seconds = timed(lambda: ask(client))
        assert seconds < 1.0, f"ask {number} took {seconds:.2f} s"
        assert claim["params"]["c4"].startswith("v4_")
        told = client.post(
            f"/api/trials/{claim['trial_id']}/tell",
            json={"ticket": claim["ticket"], "state": "complete", "value": number / 10},
        )
        assert told.status_code == 204
    search_id = created.json()["searches"][0]["id"]
    suggested, seconds = timed(lambda: client.get(f"/api/searches/{search_id}/suggest-region"))
    assert suggested.status_code == 200, suggested.text
    assert seconds < 3.0
    region = {"c0": WIDE["c0"]["choices"][:3]}
    preview, seconds = timed(
        lambda: client.post(
            f"/api/searches/{search_id}/refine", json={"region": region, "dry_run": True}
        )
    )
    assert preview.status_code == 200, preview.text
    assert seconds < 3.0


def test_too_many_choices_are_a_422_through_the_api(client: TestClient) -> None:
    announce_own(client)
    space = {"c": {"type": "categorical", "choices": list(range(MAX_CHOICES + 1))}}
    response, seconds = timed(
        lambda: client.post("/api/experiments", json=body(objective=OWN, space=space))
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "choices"
    assert seconds < 1.0


def test_import_meets_the_same_choice_limit(client: TestClient) -> None:
    created = client.post("/api/experiments", json=body()).json()
    document = client.get(f"/api/experiments/{created['id']}/export").json()
    huge = {"type": "categorical", "choices": [f"v{i}" for i in range(40 * MAX_CHOICES)]}
    document["experiment"]["space"] = {"c": huge}
    for search in document["searches"]:
        search["space"] = {"c": huge}
    response, seconds = timed(lambda: client.post("/api/experiments/import", json=document))
    assert response.status_code == 422, response.text
    item = response.json()["detail"][0]
    assert item["loc"][-2:] == ["c", "choices"]
    assert f"at most {MAX_CHOICES:,}" in item["msg"]
    assert seconds < 2.0
    assert len(client.get("/api/experiments").json()) == 1  # nothing imported
