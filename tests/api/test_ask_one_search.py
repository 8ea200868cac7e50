"""POST /api/trials/ask with `search_id`: only that search's trials (the Python API's
`optimize` over HTTP), still within the objectives asked for."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.bodies import body


def _search(client: TestClient) -> int:
    created = client.post("/api/experiments", json=body(search={"n_trials": 2, "seed": 1}))
    assert created.status_code == 201, created.text
    return created.json()["root_search_id"]


def _ask(client: TestClient, **fields: object) -> tuple[int, dict]:
    response = client.post("/api/trials/ask", json={"worker": "nb", **fields})
    return response.status_code, response.json() if response.status_code == 200 else {}


def test_ask_for_one_search(client: TestClient) -> None:
    older, newer = _search(client), _search(client)
    status, claim = _ask(client, objectives=["bowl"], search_id=older)
    assert status == 200 and claim["search_id"] == older  # not the newer one, asked first
    assert _ask(client, objectives=["bowl"], search_id=older)[1]["search_id"] == older
    assert _ask(client, objectives=["bowl"], search_id=older)[0] == 204  # its budget is spent
    assert _ask(client, objectives=["bowl"])[1]["search_id"] == newer
    assert _ask(client, objectives=["lr-cliff"], search_id=newer)[0] == 204
    assert _ask(client, objectives=["bowl"], search_id=10**6)[0] == 204


def test_a_search_id_that_is_no_id_is_refused(client: TestClient) -> None:
    for bad in (0, -1, "one", 2**63):
        status = client.post(
            "/api/trials/ask", json={"worker": "nb", "objectives": ["bowl"], "search_id": bad}
        ).status_code
        assert status == 422, bad
