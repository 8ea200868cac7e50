"""Request bodies the API tests send: a valid experiment, with overrides."""

from __future__ import annotations

from typing import Any

import httpx

# Parameters the bowl objective takes (the server refuses others, with a 422).
SPACE = {
    "learning_rate": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
}

# Every kind of parameter (a float on a log scale, a float, an integer, a category) for an
# objective that declares no space of its own, as `OWN` below.
MIXED = {
    **SPACE,
    "layers": {"type": "int", "low": 1, "high": 3},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}

# A user's own function, as a worker started with `--objective train.py:objective` announces
# it: it declares no space, so the server lets a space give it any parameter names.
OWN = "train.py:objective"


def body(**overrides: Any) -> dict[str, Any]:
    """A valid experiment request, with overrides."""
    return {
        "name": "sweep",
        "objective": "bowl",
        "direction": "minimize",
        "space": SPACE,
        "search": {"sampler": "random", "n_trials": 4, "seed": 5},
        **overrides,
    }


def own_body(**overrides: Any) -> dict[str, Any]:
    """A valid experiment request over MIXED for the objective OWN (announce it first)."""
    return body(**{"objective": OWN, "space": MIXED, **overrides})


def announce_own(client: httpx.Client) -> None:
    """Register OWN as its worker would, over the worker protocol (a TestClient or the
    client of a live server)."""
    objectives = [{"name": OWN, "direction": "minimize"}]
    response = client.post(
        "/api/objectives/register", json={"worker": "w", "objectives": objectives}
    )
    assert response.status_code == 204, response.text
