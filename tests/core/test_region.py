"""narrow(): a drawn box becomes the child's space, or a clear error naming the parameter."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.region import narrow, region_of
from app.core.space import FloatParam, IntParam, SearchSpace, SpaceError

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
    child = narrow(SPACE, {"lr": [1e-5 * (1 - 1e-12), 1.0 + 1e-12]})
    assert child.params["lr"] == SPACE.params["lr"]


@given(st.floats(0, 1), st.floats(0, 1))
def test_narrowed_bounds_lie_inside_the_parent(a: float, b: float) -> None:
    p = SPACE.params["lr"]
    lo, hi = sorted((a, b))
    if hi - lo < 1e-6:
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
