"""Drill: malformed spaces, regions, trial reports and names sent to a running server.

Each one gets a clear 4xx in the one error model (a short message, not an echo of the input),
and the stored data stays exactly as it was: the export of every experiment, taken before and
after, is identical.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.core.space import SearchSpace
from app.objectives import BUILTINS
from app.store import claims, results
from app.store.db import session_scope
from app.store.experiments import create_experiment
from app.store.models import Direction, TrialState
from app.store.searches import SearchSettings
from tests.support.drills import exports, record

pytestmark = pytest.mark.slow
MEGABYTE = "x" * 1_000_000
NASTY = "<script>alert('é☃名前')</script>\u202e"


def seed(factory: sessionmaker[Session]) -> dict[str, Any]:
    """An experiment with complete, running and unasked trials; ids to aim the bad input at."""
    with session_scope(factory) as s:
        experiment, search = create_experiment(
            s,
            name="untouched",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(BUILTINS["bowl"].space),
            settings=SearchSettings(n_trials=8, seed=1),
        )
        ids = {"experiment": experiment.id, "search": search.id}
    for _ in range(3):
        with session_scope(factory) as s:
            claim = claims.ask(s, objectives=["bowl"], worker="seed")
            assert claim is not None
            value = claim.params["x"]
            results.tell(
                s, claim.trial_id, ticket=claim.ticket, state=TrialState.COMPLETE, value=value
            )
    with session_scope(factory) as s:
        running = claims.ask(s, objectives=["bowl"], worker="seed")
        assert running is not None
    ids["trial"], ids["ticket"] = running.trial_id, running.ticket
    return ids


def cases(ids: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(label, method, path, body): a dict/list is sent as JSON, bytes as they are."""
    e, s, t, tk = ids["experiment"], ids["search"], ids["trial"], ids["ticket"]

    def raw(text: str) -> bytes:  # JSON text as sent, holding the running trial's ticket
        return text.replace("TICKET", tk).encode()

    good = {"type": "float", "low": 0.0, "high": 1.0}
    many = {f"p{i}": good for i in range(10_000)}
    exp = "/api/experiments"
    many_choices = {"type": "categorical", "choices": list(range(10_001))}

    def experiment(**fields: Any) -> dict[str, Any]:
        return {"name": "bad", "objective": "bowl", **fields}

    return [
        # experiments and their spaces
        ("name of wrong type", "POST", exp, {"name": 123, "objective": "bowl"}),
        ("empty name", "POST", exp, experiment(name="")),
        ("megabyte name", "POST", exp, experiment(name=MEGABYTE)),
        ("HTML and unicode name too long", "POST", exp, experiment(name=NASTY * 20)),
        ("unknown objective", "POST", exp, experiment(objective=NASTY)),
        ("space as a list", "POST", exp, experiment(space=[good])),
        ("10,000 parameters", "POST", exp, experiment(space=many)),
        ("low above high", "POST", exp, experiment(space={"x": {**good, "low": 2.0}})),
        ("unknown param type", "POST", exp, experiment(space={"x": {"type": "complex"}})),
        ("log scale through 0", "POST", exp, experiment(space={"x": {**good, "log": True}})),
        (
            "NaN bound",
            "POST",
            exp,
            b'{"name":"b","objective":"bowl","space":{"x":{"type":"float","low":NaN,"high":1}}}',
        ),
        (
            "huge bound (inf)",
            "POST",
            exp,
            b'{"name":"b","objective":"bowl","space":{"x":{"type":"float","low":0,"high":1e400}}}',
        ),
        ("10,001 choices", "POST", exp, experiment(space={"c": many_choices})),
        (
            "int bounds too large to keep exact",
            "POST",
            exp,
            experiment(space={"n": {"type": "int", "low": -(10**30), "high": 10**30}}),
        ),
        ("negative budget", "POST", exp, experiment(search={"n_trials": -1})),
        ("zero budget", "POST", exp, experiment(search={"n_trials": 0})),
        ("huge budget", "POST", exp, experiment(search={"n_trials": 10**12})),
        ("budget as text", "POST", exp, experiment(search={"n_trials": "many"})),
        ("fractional budget", "POST", exp, experiment(search={"n_trials": 1.5})),
        ("negative seed", "POST", exp, experiment(search={"seed": -1})),
        ("unknown sampler", "POST", exp, experiment(search={"sampler": NASTY})),
        (
            "5,000-digit seed",
            "POST",
            exp,
            b'{"name":"b","objective":"bowl","search":{"seed":1' + b"0" * 5000 + b"}}",
        ),
        ("malformed JSON", "POST", exp, b'{"name": "b", "objective": '),
        ("not JSON at all", "POST", exp, b"\xff\xfe\x00garbage"),
        ("body over the limit", "POST", exp, b'{"name":"' + b"x" * (11 * 1024 * 1024) + b'"}'),
        ("rename to empty", "PATCH", f"{exp}/{e}", {"name": ""}),
        ("rename to a megabyte", "PATCH", f"{exp}/{e}", {"name": MEGABYTE}),
        ("delete without confirmation", "DELETE", f"{exp}/{e}", None),
        ("delete confirmed with HTML", "DELETE", f"{exp}/{e}?confirm=%3Cb%3E", None),
        ("import garbage", "POST", f"{exp}/import", {"format": NASTY, "version": -1}),
        # regions (refine)
        (
            "region upside down",
            "POST",
            f"/api/searches/{s}/refine",
            {"region": {"x": [0.8, 0.2]}, "n_trials": 5},
        ),
        (
            "region of unknown param",
            "POST",
            f"/api/searches/{s}/refine",
            {"region": {NASTY: [0.1, 0.2]}, "n_trials": 5},
        ),
        (
            "region bounds as text",
            "POST",
            f"/api/searches/{s}/refine",
            {"region": {"x": "0.1..0.2"}, "n_trials": 5},
        ),
        (
            "region with NaN",
            "POST",
            f"/api/searches/{s}/refine",
            b'{"region":{"x":[NaN,0.2]},"n_trials":5}',
        ),
        (
            "region with inf",
            "POST",
            f"/api/searches/{s}/refine",
            b'{"region":{"x":[-1e400,0.2]},"n_trials":5}',
        ),
        (
            "region of 10,000 params",
            "POST",
            f"/api/searches/{s}/refine",
            {"region": {f"p{i}": [0, 1] for i in range(10_000)}, "n_trials": 5},
        ),
        (
            "region as a list",
            "POST",
            f"/api/searches/{s}/refine",
            {"region": [[0.1, 0.2]], "n_trials": 5},
        ),
        (
            "refine with negative budget",
            "POST",
            f"/api/searches/{s}/refine",
            {"region": {"x": [0.1, 0.2]}, "n_trials": -5},
        ),
        (
            "refine an unknown search",
            "POST",
            "/api/searches/999999/refine",
            {"region": {"x": [0.1, 0.2]}, "n_trials": 5},
        ),
        # hand-picked trials (enqueue)
        (
            "param of wrong type",
            "POST",
            f"/api/searches/{s}/trials",
            {"learning_rate": "fast", "x": 0.5},
        ),
        (
            "param outside the space",
            "POST",
            f"/api/searches/{s}/trials",
            {"learning_rate": 10.0, "x": 0.5},
        ),
        ("missing param", "POST", f"/api/searches/{s}/trials", {"x": 0.5}),
        (
            "unknown param",
            "POST",
            f"/api/searches/{s}/trials",
            {"learning_rate": 1e-3, "x": 0.5, NASTY: 1},
        ),
        (
            "10,000 params",
            "POST",
            f"/api/searches/{s}/trials",
            {f"p{i}": 0.5 for i in range(10_000)},
        ),
        ("param NaN", "POST", f"/api/searches/{s}/trials", b'{"learning_rate":NaN,"x":0.5}'),
        ("params as a list", "POST", f"/api/searches/{s}/trials", [0.001, 0.5]),
        # trial reports (the worker protocol)
        (
            "report negative step",
            "POST",
            f"/api/trials/{t}/report",
            {"ticket": tk, "step": -1, "value": 1.0},
        ),
        (
            "report huge step",
            "POST",
            f"/api/trials/{t}/report",
            {"ticket": tk, "step": 10**12, "value": 1.0},
        ),
        (
            "report value as text",
            "POST",
            f"/api/trials/{t}/report",
            {"ticket": tk, "step": 1, "value": "good"},
        ),
        (
            "report NaN",
            "POST",
            f"/api/trials/{t}/report",
            raw('{"ticket":"TICKET","step":1,"value":NaN}'),
        ),
        (
            "report inf",
            "POST",
            f"/api/trials/{t}/report",
            raw('{"ticket":"TICKET","step":1,"value":1e400}'),
        ),
        (
            "report with another ticket",
            "POST",
            f"/api/trials/{t}/report",
            {"ticket": "not-" + tk, "step": 1, "value": 1.0},
        ),
        (
            "report an empty ticket",
            "POST",
            f"/api/trials/{t}/report",
            {"ticket": "", "step": 1, "value": 1.0},
        ),
        (
            "report a megabyte ticket",
            "POST",
            f"/api/trials/{t}/report",
            {"ticket": MEGABYTE, "step": 1, "value": 1.0},
        ),
        (
            "report to an unknown trial",
            "POST",
            "/api/trials/999999/report",
            {"ticket": tk, "step": 1, "value": 1.0},
        ),
        (
            "report to a huge trial id",
            "POST",
            f"/api/trials/{2**70}/report",
            {"ticket": tk, "step": 1, "value": 1.0},
        ),
        (
            "report to a negative trial id",
            "POST",
            "/api/trials/-1/report",
            {"ticket": tk, "step": 1, "value": 1.0},
        ),
        (
            "tell state running",
            "POST",
            f"/api/trials/{t}/tell",
            {"ticket": tk, "state": "running"},
        ),
        (
            "tell complete without a value",
            "POST",
            f"/api/trials/{t}/tell",
            {"ticket": tk, "state": "complete"},
        ),
        (
            "tell NaN",
            "POST",
            f"/api/trials/{t}/tell",
            raw('{"ticket":"TICKET","state":"complete","value":NaN}'),
        ),
        (
            "tell a NaN metric",
            "POST",
            f"/api/trials/{t}/tell",
            raw('{"ticket":"TICKET","state":"complete","value":1,"metrics":{"m":[1,NaN]}}'),
        ),
        (
            "tell a megabyte error",
            "POST",
            f"/api/trials/{t}/tell",
            {"ticket": tk, "state": "failed", "error": MEGABYTE},
        ),
        (
            "tell an extra field",
            "POST",
            f"/api/trials/{t}/tell",
            {"ticket": tk, "state": "complete", "value": 1.0, "bonus": 1},
        ),
        (
            "tell with another ticket",
            "POST",
            f"/api/trials/{t}/tell",
            {"ticket": "not-" + tk, "state": "complete", "value": 1.0},
        ),
        (
            "tell an unknown state",
            "POST",
            f"/api/trials/{t}/tell",
            {"ticket": tk, "state": NASTY, "value": 1.0},
        ),
        ("heartbeat ticket as a number", "POST", f"/api/trials/{t}/heartbeat", {"ticket": 0}),
        ("heartbeat without a ticket", "POST", f"/api/trials/{t}/heartbeat", {"attempt": 0}),
        ("release a ticket as a list", "POST", f"/api/trials/{t}/release", {"ticket": [tk]}),
        ("ask for no objective", "POST", "/api/trials/ask", {"worker": "w", "objectives": []}),
        (
            "ask as a megabyte worker",
            "POST",
            "/api/trials/ask",
            {"worker": MEGABYTE, "objectives": ["bowl"]},
        ),
        (
            "register a NaN space",
            "POST",
            "/api/objectives/register",
            b'{"worker":"w","objectives":[{"name":"o","direction":"minimize",'
            b'"space":{"x":{"type":"float","low":NaN,"high":1}}}]}',
        ),
        # reads with bad parameters
        ("negative cursor", "GET", f"{exp}/{e}/trials/columns?since=-1", None),
        ("huge cursor", "GET", f"{exp}/{e}/trials/columns?since={10**30}", None),
        ("id as text", "GET", f"{exp}/{NASTY}", None),
        ("unknown state filter", "GET", f"{exp}/{e}/trials?state=bogus", None),
    ]


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(
    live_server: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    started = time.monotonic()
    ids = seed(factory)
    before = exports(factory)
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=live_server, timeout=60) as api:
        n_experiments = len(api.get("/api/experiments").json())
        for label, method, path, body in cases(ids):
            if isinstance(body, bytes):
                kwargs: dict[str, Any] = {
                    "content": body,
                    "headers": {"Content-Type": "application/json"},
                }
            else:
                kwargs = {} if body is None else {"json": body}
            response = api.request(method, path, **kwargs)
            assert 400 <= response.status_code < 500, (label, response.status_code, response.text)
            error = response.json()
            assert isinstance(error["message"], str) and error["message"], label
            assert len(response.content) < 20_000, (label, len(response.content))  # no echo
            assert isinstance(error["detail"], list), label
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert len(api.get("/api/experiments").json()) == n_experiments
        assert api.get(f"/api/trials/{ids['trial']}").json()["state"] == "running"
    after = exports(factory)
    assert after == before  # byte for byte the same stored data
    record(
        "bad-input",
        requests=sum(statuses.values()),
        statuses={str(k): v for k, v in sorted(statuses.items())},
        rejected=sum(statuses.values()),
        stored_data_changed=False,
        seconds=round(time.monotonic() - started, 1),
    )


def test_html_and_unicode_names_are_kept_as_text(client: TestClient) -> None:
    """Not bad input: stored and given back exactly, never interpreted."""
    created = client.post("/api/experiments", json={"name": NASTY, "objective": "bowl"})
    assert created.status_code == 201, created.text
    assert client.get(f"/api/experiments/{created.json()['id']}").json()["name"] == NASTY


# Found by this drill; see docs/reliability.md. Strict: remove the mark once fixed.
@pytest.mark.parametrize(
    ("label", "field"),
    [("metric", '"metrics":{"note":"\\ud800"}'), ("metric name", '"metrics":{"\\ud800":1}')],
)
def test_metrics_that_are_not_unicode_are_refused(
    client: TestClient, label: str, field: str
) -> None:
    created = client.post(
        "/api/experiments", json={"name": "poison", "objective": "bowl", "search": {"n_trials": 2}}
    )
    experiment_id = created.json()["id"]
    claim = client.post("/api/trials/ask", json={"worker": "w", "objectives": ["bowl"]}).json()
    body = f'{{"ticket":"{claim["ticket"]}","state":"complete","value":1,{field}}}'
    told = client.post(
        f"/api/trials/{claim['trial_id']}/tell",
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    # It was a 204, and from then on every read of the experiment's trials was a 500.
    assert client.get(f"/api/experiments/{experiment_id}/trials").status_code == 200
    assert told.status_code == 422


def test_a_choice_that_is_not_unicode_is_refused(client: TestClient) -> None:
    body = (
        '{"name":"c","objective":"bowl","space":'
        '{"c":{"type":"categorical","choices":["a","\\ud800"]}}}'
    )
    created = client.post(
        "/api/experiments", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert created.status_code == 422


def test_int_bounds_too_large_to_store_exactly_are_refused(client: TestClient) -> None:
    space = {"n": {"type": "int", "low": -(10**30), "high": 10**30}}
    body = {"name": "n", "objective": "bowl", "space": space}
    created = client.post("/api/experiments", json=body)
    # Found by this drill (stored as 1000000000000000019884624838656); fixed in 7eba104.
    assert created.status_code == 422, created.text
    assert "exact" in created.json()["message"]


def test_json_numbers_python_cannot_hold_are_refused(client: TestClient) -> None:
    """math.inf never reaches the store: JSON's 1e400 is refused like NaN."""
    assert math.isinf(json.loads("1e400"))
    body = b'{"name":"b","objective":"bowl","search":{"n_trials":1e400}}'
    response = client.post(
        "/api/experiments", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
