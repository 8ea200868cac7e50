"""narrow(): a drawn box becomes the child's space, or a clear error naming the parameter."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.edges import find_edges
from app.core.region import check_within, inside, narrow, region_of, suggest_region
from app.core.space import FloatParam, IntParam, SearchSpace, SpaceError
from tests.support.spaces import CONDITIONAL

SPACE = SearchSpace.from_dict(
    {
        "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
        "units": {"type": "int", "low": 8, "high": 256, "log": True},
        "layers": {"type": "int", "low": 1, "high": 3},
        "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
    }
)


def test_narrow_keeps_scale_and_leaves_other_parameters_alone() -> None:
    child = narrow(SPACE, {"lr": [1e-3, 1e-2]})
    assert child.params["lr"] == FloatParam("lr", 1e-3, 1e-2, log=True)
    for name in ("units", "layers", "solver"):
        assert child.params[name] == SPACE.params[name]
    assert region_of(SPACE, child) == {"lr": [1e-3, 1e-2]}


def test_int_bounds_snap_inward_to_integers() -> None:
    child = narrow(SPACE, {"units": [20.4, 100.7], "layers": [1.6, 2.4]})
    assert child.params["units"] == IntParam("units", 21, 100, log=True)
    assert child.params["layers"] == IntParam("layers", 2, 2)


def test_categories_are_subset_in_the_parents_order() -> None:
    child = narrow(SPACE, {"solver": ["adam"]})
    assert child.params["solver"].choices == ("adam",)


@pytest.mark.parametrize(
    ("region", "fragment"),
    [
        ({"lr": [1e-2, 1e-3]}, "less than high"),
        ({"lr": [1e-3, 1e-3]}, "less than high"),
        ({"lr": [1e-6, 1e-2]}, "outside the parent's range"),
        ({"lr": [1e-3, 2.0]}, "outside the parent's range"),
        ({"lr": [-1.0, 1e-2]}, "positive on a log scale"),
        ({"lr": [0.0, 1e-2]}, "positive on a log scale"),
        ({"lr": [1e-3]}, "pair"),
        ({"lr": ["a", 1]}, "numbers"),
        ({"lr": [math.nan, 1]}, "finite"),
        ({"layers": [1.2, 1.8]}, "no allowed integer"),
        ({"solver": []}, "non-empty"),
        ({"solver": ["rmsprop"]}, "not one of"),
        ({"solver": ["adam", "adam"]}, "twice"),
        ({"momentum": [0.5, 0.9]}, "not a parameter"),
    ],
)
def test_invalid_regions_name_the_parameter(region: dict, fragment: str) -> None:
    with pytest.raises(SpaceError) as info:
        narrow(SPACE, region)
    assert info.value.loc == (next(iter(region)),)
    assert fragment in info.value.problem


def test_an_empty_region_is_an_error() -> None:
    with pytest.raises(SpaceError, match="at least one"):
        narrow(SPACE, {})


def test_bounds_a_rounding_error_past_the_parent_are_clipped() -> None:
    child = narrow(SPACE, {"lr": [1e-5 * (1 - 1e-12), 0.5]})
    assert (child.params["lr"].low, child.params["lr"].high) == (SPACE.params["lr"].low, 0.5)


def test_a_region_that_narrows_nothing_is_refused() -> None:
    """Refining the whole space again doubles the compute for nothing (issue 13, finding 2)."""
    whole = {"lr": [1e-5 * (1 - 1e-12), 1.0 + 1e-12], "solver": ["adam", "sgd"]}
    with pytest.raises(SpaceError, match="whole space.*new root search") as caught:
        narrow(SPACE, whole)
    assert caught.value.loc == ()


@given(st.floats(0, 1), st.floats(0, 1))
def test_narrowed_bounds_lie_inside_the_parent(a: float, b: float) -> None:
    p = SPACE.params["lr"]
    lo, hi = sorted((a, b))
    if hi - lo < 1e-6 or hi - lo > 1 - 1e-9:  # the whole range is refused, as tested above
        return
    log_lo, log_hi = math.log10(p.low), math.log10(p.high)
    region = {
        "lr": [10 ** (log_lo + lo * (log_hi - log_lo)), 10 ** (log_lo + hi * (log_hi - log_lo))]
    }
    child = narrow(SPACE, region).params["lr"]
    assert p.low <= child.low < child.high <= p.high
    assert child.low == pytest.approx(region["lr"][0]) and child.high == pytest.approx(
        region["lr"][1]
    )


COND = SearchSpace.from_dict(CONDITIONAL)


def test_narrowing_keeps_conditions_and_drops_parameters_that_can_no_longer_be_active() -> None:
    child = narrow(COND, {"solver": ["adam"], "lr": [1e-3, 1e-2]})
    assert "momentum" not in child.params
    assert child.params["beta_1"] == COND.params["beta_1"]
    assert child.params["lr"].log
    assert region_of(COND, child) == {"solver": ["adam"], "lr": [1e-3, 1e-2]}
    with pytest.raises(SpaceError, match="fixed") as info:
        narrow(COND, {"epochs": [5, 10]})
    assert info.value.loc == ("epochs",)


def test_a_narrowed_space_is_within_its_parent_and_the_parent_is_not_within_it() -> None:
    child = narrow(COND, {"solver": ["adam"], "lr": [1e-3, 1e-2]})
    check_within(COND, child)  # pruned conditionals are fine
    check_within(child, narrow(child, {"lr": [2e-3, 5e-3]}))  # and again, a level finer
    with pytest.raises(SpaceError, match=r"\['sgd'\] are not among the parent's") as info:
        check_within(child, COND)
    assert info.value.loc == ("solver",)
    with pytest.raises(SpaceError, match="outside the parent's range") as info:
        check_within(child, narrow(COND, {"solver": ["adam"]}))
    assert info.value.loc == ("lr",)
    with pytest.raises(SpaceError, match="not a parameter of the parent"):
        check_within(child, SearchSpace([*child.params.values(), FloatParam("z", 0, 1)]))


def test_inside_tells_which_parent_trials_a_child_can_warm_start_from() -> None:
    child = narrow(COND, {"solver": ["adam"], "lr": [1e-3, 1e-2]})
    adam = {"solver": "adam", "lr": 5e-3, "beta_1": 0.9, "layers": 2, "epochs": 10}
    assert inside(child, adam)
    assert not inside(child, {**adam, "lr": 0.5})
    assert not inside(child, {**adam, "solver": "sgd", "momentum": 0.9, "beta_1": None})


def bowl_trials(n: int, seed: int = 0) -> list[tuple[dict, float | None]]:
    space = SearchSpace.from_dict(
        {
            "lr": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
            "x": {"type": "float", "low": 0.0, "high": 1.0},
            "units": {"type": "int", "low": 8, "high": 256, "log": True},
            "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
        }
    )
    configs = space.decode(np.random.default_rng(seed).random((n, space.ndim)))
    return [
        (
            p,
            (math.log10(p["lr"]) + 3) ** 2
            + 10 * (p["x"] - 0.95) ** 2
            + 3 * (p["solver"] == "sgd"),
        )
        for p in configs
    ]


BOWL = SearchSpace.from_dict(
    {
        "lr": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
        "x": {"type": "float", "low": 0.0, "high": 1.0},
        "units": {"type": "int", "low": 8, "high": 256, "log": True},
        "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
    }
)


def test_suggested_region_surrounds_the_best_trials_and_narrow_accepts_it() -> None:
    trials = bowl_trials(200) + [({"lr": 1.0, "x": 0.0, "units": 8, "solver": "sgd"}, None)]
    suggestion = suggest_region(BOWL, trials, "minimize", top_fraction=0.1, margin=0.05)
    lo, hi = suggestion.region["lr"]
    assert lo < 1e-3 < hi and math.log10(hi / lo) < 4  # in decades, around the optimum
    assert suggestion.region["solver"] == ["adam"]
    child = narrow(BOWL, suggestion.region)
    assert child.params["lr"].log
    assert all(inside(BOWL, p) for p, _ in trials[:5])


def test_the_best_trials_on_a_side_of_the_range_raise_an_edge_warning() -> None:
    suggestion = suggest_region(BOWL, bowl_trials(300), "minimize", top_fraction=0.05)
    assert [(e.param, e.side) for e in suggestion.edges] == [("x", "high")]
    assert suggestion.edges[0].message == (
        "the best trials sit at the high end of x: "
        "the search stops there, so start a wider root search above 1"
    )


def test_no_edge_at_a_hard_limit_and_the_advice_names_the_bound_to_move() -> None:
    """A bound that cannot move (a probability's 1) raises no edge (issue 13, finding 5)."""
    spec = BOWL.to_dict()
    spec["x"]["hard"] = ["high"]
    hard = SearchSpace.from_dict(spec)
    assert suggest_region(hard, bowl_trials(300), "minimize", top_fraction=0.05).edges == []
    child = narrow(hard, {"x": [0.2, 0.6]})
    assert child.params["x"].hard == ()  # 0.6 is the region's bound, not the parameter's
    trials = [({**p, "x": 0.6 - 0.01 * i}, float(i)) for i, (p, _) in enumerate(bowl_trials(30))]
    edges = find_edges(child, hard, trials, "minimize")
    assert [(e.param, e.side) for e in edges] == [("x", "high")]
    assert edges[0].message.endswith("widen the region above 0.6")


def test_edges_need_five_completed_trials() -> None:
    trials = [({"lr": 0.5, "x": 0.99, "units": 8, "solver": "sgd"}, float(i)) for i in range(4)]
    assert find_edges(BOWL, BOWL, trials, "minimize") == []
    assert find_edges(BOWL, BOWL, trials + trials[:1], "minimize") != []


def test_a_suggestion_from_few_trials_says_so_and_full_ranges_are_left_out() -> None:
    few = [(p, v) for p, v in bowl_trials(8) if v is not None]
    suggestion = suggest_region(BOWL, few, "minimize")
    assert suggestion.n_complete == len(few)
    assert suggestion.warning and f"only {len(few)} completed trials" in suggestion.warning
    many = suggest_region(BOWL, bowl_trials(300), "minimize")
    assert many.warning is None
    assert sorted(many.region) == ["lr", "x"]  # the best trials use every unit count and solver
    with pytest.raises(SpaceError, match="whole space"):
        suggest_region(BOWL, bowl_trials(300), "minimize", top_fraction=0.5, margin=0.2)


def test_a_suggested_bound_at_the_edge_is_the_space_bound_exactly() -> None:
    """Not 0.9999999999999999 for 1.0 (issue 16, finding 4)."""
    trials = [({"lr": 1e-3, "x": 0.95, "units": 8, "solver": "sgd"}, 0.0)]
    assert suggest_region(BOWL, trials, "minimize").region["x"][1] == 1.0


def test_maximize_turns_the_box_around() -> None:
    trials = [({**p, "solver": "adam"}, -v) for p, v in bowl_trials(200) if v is not None]
    lo, hi = suggest_region(BOWL, trials, "maximize", top_fraction=0.1).region["lr"]
    assert lo < 1e-3 < hi


def test_a_suggestion_needs_a_completed_trial() -> None:
    with pytest.raises(SpaceError, match="no completed trial"):
        suggest_region(
            BOWL, [({"lr": 0.1, "x": 0.1, "units": 8, "solver": "sgd"}, None)], "minimize"
        )


@given(st.lists(st.floats(0, 1, exclude_max=True), min_size=8, max_size=8))
def test_a_suggested_region_for_one_trial_is_always_a_valid_child(u: list[float]) -> None:
    params = BOWL.decode(np.array([u[:4]]))[0]
    suggestion = suggest_region(BOWL, [(params, 1.0)], "minimize", margin=u[4] / 5)
    child = narrow(BOWL, suggestion.region)
    assert inside(child, params)


@pytest.mark.parametrize(
    "hard,problem",
    [(["middle"], 'list of "low" and "high"'), (["low", "low"], "twice"), ("low", "list")],
)
def test_hard_sides_are_checked_and_kept(hard: object, problem: str) -> None:
    spec = {"x": {"type": "float", "low": 0.0, "high": 1.0, "hard": hard}}
    with pytest.raises(SpaceError, match=problem) as caught:
        SearchSpace.from_dict(spec)
    assert caught.value.loc == ("x", "hard")
    kept = SearchSpace.from_dict({"x": {**spec["x"], "hard": ["high", "low"]}})
    assert kept.to_dict()["x"]["hard"] == ["low", "high"]  # one order: equal spaces are equal


# Issue 16, findings 3 and 4: a suggestion keeps the incumbent of the search's lineage, says
# where it is, and its bounds are exact at the edges.


@pytest.mark.parametrize(
    "p",
    [
        FloatParam("x", 5.112747702411364, 20706.33365461308, log=True),
        FloatParam("x", 1e-3, 0.3, log=True),
        FloatParam("x", 1e-6, 1.0, log=True),
        FloatParam("x", 0.1, 0.7),
        FloatParam("x", -3.3, 0.7, step=0.5),
        IntParam("n", 8, 256, log=True),
        IntParam("n", 3, 9, step=2),
    ],
)
def test_decode_is_exact_at_the_edges_of_the_cube(p: FloatParam | IntParam) -> None:
    """A unit-cube value of exactly 0 or 1 is the bound itself, not a rounding of it."""
    assert p.decode(np.array([0.0, 1.0])) == [p.low, p.high]


def test_a_suggested_bound_a_rounding_below_the_edge_is_the_edge() -> None:
    """0.9 - 1 ulp plus a margin of 0.1 is the range's 1.0, not 0.9999999999999998."""
    x = float(np.nextafter(0.9, 0.0))
    trials = [({"lr": 1e-3, "x": x, "units": 8, "solver": "sgd"}, 0.0)]
    assert suggest_region(BOWL, trials, "minimize", margin=0.1).region["x"][1] == 1.0


CHILD = narrow(BOWL, {"x": [0.2, 0.8]})


def child_trials(n: int = 40, seed: int = 1) -> list[tuple[dict, float | None]]:
    """The child's own trials: its best crowd x = 0.7, far from the parent's incumbent."""
    configs = CHILD.decode(np.random.default_rng(seed).random((n, CHILD.ndim)))
    return [(p, 1.0 + (p["x"] - 0.7) ** 2) for p in configs]


def test_a_childs_box_widens_to_keep_the_incumbent_of_its_ancestors() -> None:
    mine = child_trials()
    parents = [
        ({"lr": 1e-3, "x": 0.25, "units": 8, "solver": "adam"}, 0.5),  # the incumbent
        ({"lr": 1e-3, "x": 0.5, "units": 8, "solver": "sgd"}, 5.0),
    ]
    alone = suggest_region(CHILD, mine, "minimize")
    assert alone.region["x"][0] > 0.25  # the child's own box loses the incumbent
    suggestion = suggest_region(CHILD, mine, "minimize", ancestors=parents)
    low, high = suggestion.region["x"]
    assert low <= 0.25 <= high
    assert narrow(CHILD, suggestion.region).contains(parents[0][0])
    assert suggestion.incumbent is not None
    assert suggestion.incumbent.index == 0 and suggestion.incumbent.value == 0.5
    assert suggestion.incumbent.inside and suggestion.incumbent.in_box
    assert suggestion.best_inside == suggestion.incumbent
    assert "x" in suggestion.widened
    assert suggestion.n_complete == len(mine)  # the box still rests on the child's trials


def test_an_incumbent_outside_the_space_is_named_and_the_best_inside_is_kept() -> None:
    mine = child_trials()
    parents = [
        ({"lr": 1e-3, "x": 0.05, "units": 8, "solver": "adam"}, 0.1),  # outside [0.2, 0.8]
        ({"lr": 1e-3, "x": 0.3, "units": 8, "solver": "adam"}, 0.5),  # the best inside
    ]
    suggestion = suggest_region(CHILD, mine, "minimize", ancestors=parents)
    assert suggestion.incumbent is not None and suggestion.incumbent.index == 0
    assert not suggestion.incumbent.inside and not suggestion.incumbent.in_box
    assert suggestion.best_inside is not None and suggestion.best_inside.index == 1
    assert suggestion.best_inside.in_box
    assert suggestion.region["x"][0] <= 0.3


def test_keep_incumbent_false_may_drop_it_but_says_so() -> None:
    mine = child_trials()
    parents = [({"lr": 1e-3, "x": 0.25, "units": 8, "solver": "adam"}, 0.5)]
    suggestion = suggest_region(CHILD, mine, "minimize", ancestors=parents, keep_incumbent=False)
    assert suggestion.region == suggest_region(CHILD, mine, "minimize").region
    assert suggestion.incumbent is not None and suggestion.incumbent.inside
    assert not suggestion.incumbent.in_box and suggestion.widened == []


def test_the_incumbent_of_the_searchs_own_trials_is_in_the_box_and_maximize_counts() -> None:
    trials = [({**p, "solver": "adam"}, -v) for p, v in bowl_trials(200) if v is not None]
    suggestion = suggest_region(BOWL, trials, "maximize", top_fraction=0.1)
    best = max(range(len(trials)), key=lambda i: trials[i][1])
    assert suggestion.incumbent is not None and suggestion.incumbent.index == best
    assert suggestion.incumbent.in_box and suggestion.widened == []


def test_the_optimum_is_reported_per_parameter_as_interior_or_at_an_edge() -> None:
    suggestion = suggest_region(BOWL, bowl_trials(300), "minimize", top_fraction=0.05)
    assert suggestion.optimum == {"lr": "interior", "x": "high edge", "units": "unclear"}
    few = suggest_region(BOWL, bowl_trials(4), "minimize")
    assert set(few.optimum.values()) == {"unclear"}


@pytest.mark.parametrize("seed", range(10))
def test_a_chain_of_three_refinements_keeps_the_incumbent(seed: int) -> None:
    """Random sampling on a seeded random objective; every suggestion keeps the lineage's best
    trial inside its space, and the child refined over it contains that trial."""
    rng = np.random.default_rng(seed)
    weights, centre = rng.normal(size=4), rng.random(4)

    def objective(p: dict) -> float:
        u = BOWL.encode(p)
        return float(weights @ (u - centre) ** 2 + 0.3 * rng.random())

    space, ancestors = BOWL, []
    for _ in range(3):
        configs = space.decode(rng.random((30, space.ndim)))
        mine = [(p, objective(p)) for p in configs]
        suggestion = suggest_region(
            space, mine, "minimize", top_fraction=0.2, margin=0.05, ancestors=ancestors
        )
        lineage = ancestors + mine
        inside_space = [i for i, (p, _) in enumerate(lineage) if space.contains(p)]
        best = min(inside_space, key=lambda i: lineage[i][1])
        assert suggestion.best_inside is not None and suggestion.best_inside.index == best
        child = narrow(space, suggestion.region)
        assert child.contains(lineage[best][0])
        space, ancestors = child, lineage


def test_the_incumbents_index_counts_trials_outside_the_space_as_given() -> None:
    """Index into [*ancestors, *trials] as the caller passed them, not after filtering."""
    stranger = ({"lr": 1e-3, "x": 0.5, "units": 8, "solver": "rmsprop"}, 9.0)  # not of CHILD
    mine = [stranger, *child_trials()]
    suggestion = suggest_region(CHILD, mine, "minimize")
    best = min(range(1, len(mine)), key=lambda i: mine[i][1] or 0.0)
    assert suggestion.incumbent is not None and suggestion.incumbent.index == best
