"""Grids and quasi-random designs answer in bounded time and memory (issue 14, items 6 and 7).

Each case runs in a child process with a 1.5 GB address-space ceiling (tests/bounded.py), so
code that builds a whole design fails there quickly instead of taking gigabytes from the
machine. Before the fix: two categoricals of 4,000 choices took 15 s and 3.1 GB before their
422; the first ask of a 100-parameter Sobol', Halton or LHS search with a budget of a million
took 5-6 s and 1.7-2.4 GB, leaving 900 MB per search in a cache; at 1,000 parameters it needed
7.8 GiB.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from app.core.designs import MAX_DESIGN_CELLS, MAX_HALTON_DIMS
from tests.support.bounded import growth_mb, run_requests

pytestmark = pytest.mark.slow

# A user's own function, announced as its worker would: it declares no space, so it takes the
# parameters these spaces name (x0, x1, ...; a, b).
OWN = """
OWN = "train.py:objective"
step("own", "POST", "/api/objectives/register",
     json={"worker": "w", "objectives": [{"name": OWN, "direction": "minimize"}]})
"""

CREATE = (
    OWN
    + """
def create(space, sampler, n_trials, seed=1):
    return step("create", "POST", "/api/experiments", json={
        "name": "bounded", "objective": OWN, "direction": "minimize", "space": space,
        "search": {"sampler": sampler, "n_trials": n_trials, "seed": seed}})

def floats(d):
    return {f"x{i}": {"type": "float", "low": 0.0, "high": 1.0} for i in range(d)}

def ask(label):
    return step(label, "POST", "/api/trials/ask", json={"worker": "w", "objectives": [OWN]})
"""
)


def test_a_grid_too_large_is_a_quick_422(migrated_template: Path, tmp_path: Path) -> None:
    code = OWN + dedent(
        """
    def cat(k):
        return {"type": "categorical", "choices": [f"{k}{i}" for i in range(4000)]}
    step("create", "POST", "/api/experiments", json={
        "name": "grid", "objective": OWN, "direction": "minimize",
        "space": {"a": cat("a"), "b": cat("b")},
        "search": {"sampler": "grid", "n_trials": 10}})
    """
    )
    steps = run_requests(code, migrated_template, tmp_path)
    created = steps["create"]
    assert created.status == 422, created.body
    [item] = created.body["detail"]
    assert item["loc"] == ["body", "search", "options", "resolution"]
    assert "16,000,000 points" in item["msg"]
    assert created.seconds < 1.0
    assert growth_mb(steps, "create") < 100


@pytest.mark.parametrize(
    ("sampler", "d"), [("sobol", 100), ("sobol", 1000), ("halton", 100), ("zoom", 1000)]
)
def test_asks_of_a_million_trial_design_are_quick_and_small(
    migrated_template: Path, tmp_path: Path, sampler: str, d: int
) -> None:
    code = CREATE + dedent(
        f"""
    create(floats({d}), {sampler!r}, 1_000_000)
    for i in range(3):
        ask(f"ask{{i}}")
    # A second search (another seed) costs no design of its own either.
    create(floats({d}), {sampler!r}, 1_000_000, seed=2)
    ask("other")
    """
    )
    steps = run_requests(code, migrated_template, tmp_path)
    assert steps["create"].status == 201, steps["create"].body
    for label in ("ask0", "ask1", "ask2", "other"):
        assert steps[label].status == 200, steps[label].body
        assert len(steps[label].body["params"]) == d
        # The first ask also imports scipy.stats (about a second), once per process.
        limit = 5.0 if label == "ask0" else 1.0
        assert steps[label].seconds < limit, f"{label}: {steps[label].seconds:.2f} s"
    assert growth_mb(steps, "other") < 150


@pytest.mark.parametrize(
    ("sampler", "d", "n_trials", "loc"),
    [
        ("lhs", 100, 1_000_000, "n_trials"),
        ("lhs", 1000, 1_000_000, "n_trials"),
        ("halton", MAX_HALTON_DIMS + 1, 100, "sampler"),
    ],
)
def test_a_design_that_cannot_be_served_is_a_422_at_creation(
    migrated_template: Path, tmp_path: Path, sampler: str, d: int, n_trials: int, loc: str
) -> None:
    code = CREATE + f"create(floats({d}), {sampler!r}, {n_trials})\n"
    steps = run_requests(code, migrated_template, tmp_path)
    created = steps["create"]
    assert created.status == 422, created.body
    assert created.body["detail"][0]["loc"] == ["body", "search", loc]
    assert created.seconds < 1.0


def test_the_largest_latin_hypercube_is_served_within_bounds(
    migrated_template: Path, tmp_path: Path
) -> None:
    code = CREATE + dedent(
        f"""
    create(floats(100), "lhs", {MAX_DESIGN_CELLS // 100})
    for i in range(3):
        ask(f"ask{{i}}")
    """
    )
    steps = run_requests(code, migrated_template, tmp_path)
    assert steps["create"].status == 201, steps["create"].body
    assert all(steps[f"ask{i}"].status == 200 for i in range(3))
    assert steps["ask0"].seconds < 3.0 and steps["ask2"].seconds < 0.5
    assert growth_mb(steps, "ask2") < 200
