"""Spaces: validation names the parameter, the codec round-trips, log scales are log-uniform."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from app.core.space import CategoricalParam, FloatParam, IntParam, SearchSpace, SpaceError
from tests.support.spaces import CONDITIONAL, DEMO


def test_json_round_trip_is_lossless() -> None:
    space = SearchSpace.from_dict(DEMO)
    assert SearchSpace.from_dict(space.to_dict()) == space
    assert space.to_dict() == DEMO


@pytest.mark.parametrize(
    ("spec", "loc", "fragment"),
    [
        ({"type": "float", "low": 1.0, "high": 1.0}, ("p", "low"), "less than high"),
        ({"type": "float", "low": 2.0, "high": 1.0}, ("p", "low"), "less than high"),
        ({"type": "float", "low": 0.0, "high": 1.0, "log": True}, ("p", "low"), "positive"),
        ({"type": "int", "low": 0, "high": 8, "log": True}, ("p", "low"), "positive"),
        ({"type": "float", "low": 0.0, "high": math.inf}, ("p", "high"), "finite"),
        ({"type": "float", "low": math.nan, "high": 1.0}, ("p", "low"), "finite"),
        ({"type": "float", "low": "a", "high": 1.0}, ("p", "low"), "number"),
        ({"type": "float", "high": 1.0}, ("p", "low"), "required"),
        ({"type": "int", "low": 0.5, "high": 3}, ("p", "low"), "integer"),
        ({"type": "float", "low": 0.0, "high": 1.0, "step": 0.3}, ("p", "step"), "divide"),
        ({"type": "int", "low": 0, "high": 10, "step": 3}, ("p", "step"), "divide"),
        ({"type": "categorical", "choices": []}, ("p", "choices"), "empty"),
        ({"type": "categorical", "choices": ["a", "a"]}, ("p", "choices"), "twice"),
        ({"type": "categorical", "choices": [[1]]}, ("p", "choices"), "not a string"),
        ({"type": "uniform", "low": 0, "high": 1}, ("p", "type"), "must be one of"),
        ({"type": "float", "low": 0, "high": 1, "choices": [1]}, ("p", "choices"), "unknown"),
        ("float", ("p",), "object"),
    ],
)
def test_invalid_parameters_name_the_field(
    spec: object, loc: tuple[str, ...], fragment: str
) -> None:
    with pytest.raises(SpaceError) as info:
        SearchSpace.from_dict({"p": spec})
    assert info.value.loc == loc
    assert fragment in info.value.problem


def test_empty_space_is_an_error() -> None:
    with pytest.raises(SpaceError, match="at least one"):
        SearchSpace.from_dict({})


def test_log_sampling_is_uniform_in_log_space() -> None:
    p = FloatParam("lr", 1e-4, 1.0, log=True)
    x = np.array(p.decode(np.random.default_rng(0).random(4000)))
    assert stats.kstest(np.log10(x), stats.uniform(loc=-4, scale=4).cdf).pvalue > 0.01
    # On a linear scale the same draws would put 90% of trials in [0.1, 1]; here each decade
    # gets a quarter of them.
    assert 0.2 < np.mean(x < 1e-3) < 0.3


def test_linear_sampling_is_uniform_in_value() -> None:
    p = FloatParam("m", 0.5, 0.999)
    x = np.array(p.decode(np.random.default_rng(1).random(4000)))
    assert stats.kstest(x, stats.uniform(loc=0.5, scale=0.499).cdf).pvalue > 0.01


def test_ints_are_exact_and_every_value_is_equally_likely() -> None:
    p = IntParam("layers", 1, 3)
    x = p.decode(np.random.default_rng(2).random(3000))
    assert all(isinstance(v, int) for v in x)
    counts = np.bincount(x)[1:]
    assert stats.chisquare(counts).pvalue > 0.01


def test_log_ints_are_log_uniform_and_hit_both_ends() -> None:
    p = IntParam("units", 8, 256, log=True)
    x = np.array(p.decode(np.random.default_rng(3).random(5000)))
    assert x.min() == 8 and x.max() == 256
    assert 0.4 < np.mean(x <= 45) < 0.6  # sqrt(8 * 256) ~ 45 splits log space in half


def test_categories_are_equally_likely() -> None:
    p = CategoricalParam("solver", ("sgd", "adam", "lbfgs"))
    x = p.decode(np.random.default_rng(4).random(3000))
    counts = [x.count(c) for c in p.choices]
    assert stats.chisquare(counts).pvalue > 0.01


def test_steps_are_honoured() -> None:
    f = FloatParam("f", 0.0, 1.0, step=0.25)
    i = IntParam("i", 0, 12, step=4)
    u = np.random.default_rng(5).random(500)
    assert set(f.decode(u)) == {0.0, 0.25, 0.5, 0.75, 1.0}
    assert set(i.decode(u)) == {0, 4, 8, 12}


unit = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


@given(st.lists(unit, min_size=5, max_size=5))
def test_decode_then_encode_then_decode_is_stable(point: list[float]) -> None:
    space = SearchSpace.from_dict(DEMO)
    params = space.decode(np.array([point]))[0]
    space.validate_params(params)
    again = space.decode(space.encode(params))[0]
    assert again.keys() == params.keys()
    for name, value in params.items():
        if isinstance(value, float):
            assert again[name] == pytest.approx(value, rel=1e-9)
        else:
            assert again[name] == value


@given(
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(min_value=1e-3, max_value=1e6),
    st.booleans(),
    st.lists(unit, min_size=1, max_size=20),
)
def test_float_decode_stays_in_bounds(low: float, width: float, log: bool, u: list[float]) -> None:
    if log:
        low = abs(low) + 1e-3
    p = FloatParam("x", low, low + width, log=log)
    assert all(p.low <= v <= p.high for v in p.decode(np.array(u)))


def test_validate_params_names_the_problem() -> None:
    space = SearchSpace.from_dict(DEMO)
    good = space.decode(np.full((1, len(space)), 0.5))[0]
    space.validate_params(good)
    with pytest.raises(SpaceError, match="is missing"):
        space.validate_params({k: v for k, v in good.items() if k != "layers"})
    with pytest.raises(SpaceError, match="outside"):
        space.validate_params({**good, "layers": 4})
    with pytest.raises(SpaceError, match="not a parameter"):
        space.validate_params({**good, "extra": 1})


def test_conditional_and_fixed_spaces_round_trip_through_json() -> None:
    space = SearchSpace.from_dict(CONDITIONAL)
    assert space.to_dict() == CONDITIONAL
    assert SearchSpace.from_dict(space.to_dict()) == space
    assert space.ndim == 5  # the fixed parameter takes no dimension


@pytest.mark.parametrize(
    ("change", "loc", "fragment"),
    [
        ({"momentum": {"condition": {"optimizer": ["sgd"]}}}, ("momentum", "condition"), "not a"),
        ({"momentum": {"condition": {"solver": ["rmsprop"]}}}, ("momentum", "condition"), "never"),
        ({"momentum": {"condition": {"solver": []}}}, ("momentum", "condition"), "non-empty"),
        ({"momentum": {"condition": ["solver"]}}, ("momentum", "condition"), "object"),
        ({"momentum": {"condition": {"momentum": [0.9]}}}, ("momentum", "condition"), "itself"),
        ({"solver": {"condition": {"momentum": [0.9]}}}, ("solver", "condition"), "cycle"),
        ({"epochs": {"value": None}}, ("epochs", "value"), "not a string"),
        ({"epochs": {"value": math.inf}}, ("epochs", "value"), "not finite"),
        ({"epochs": {"low": 1}}, ("epochs", "low"), "unknown key"),
    ],
)
def test_invalid_conditions_and_fixed_values_name_the_parameter(
    change: dict, loc: tuple[str, ...], fragment: str
) -> None:
    spec = {name: dict(p) for name, p in CONDITIONAL.items()}
    for name, update in change.items():
        spec[name].update(update)
    with pytest.raises(SpaceError) as info:
        SearchSpace.from_dict(spec)
    assert info.value.loc == loc
    assert fragment in info.value.problem


def test_inactive_parameters_are_absent_and_validated_as_such() -> None:
    space = SearchSpace.from_dict(CONDITIONAL)
    points = np.random.default_rng(0).random((200, space.ndim))
    for params in space.decode(points):
        space.validate_params(params)
        assert ("momentum" in params) == (params["solver"] == "sgd")
        assert params["epochs"] == 10
    sgd = {"solver": "sgd", "lr": 0.01, "momentum": 0.9, "layers": 2, "epochs": 10}
    space.validate_params(sgd)
    with pytest.raises(SpaceError, match="must be absent") as info:
        space.validate_params({**sgd, "beta_1": 0.9})
    assert info.value.loc == ("beta_1",)
    with pytest.raises(SpaceError, match="is missing"):
        space.validate_params({k: v for k, v in sgd.items() if k != "momentum"})
    with pytest.raises(SpaceError, match="outside"):
        space.validate_params({**sgd, "epochs": 11})
    assert np.isnan(space.encode(sgd)[space.dims.index(space.params["beta_1"])])


@given(st.lists(unit, min_size=5, max_size=5))
def test_conditional_codec_is_stable(point: list[float]) -> None:
    space = SearchSpace.from_dict(CONDITIONAL)
    params = space.decode(np.array([point]))[0]
    u = space.encode(params)
    again = space.decode(np.where(np.isnan(u), 0.5, u))[0]
    assert again.keys() == params.keys()
    for name, value in params.items():
        assert again[name] == (
            pytest.approx(value, rel=1e-9) if isinstance(value, float) else value
        )


@given(
    st.floats(min_value=1e-8, max_value=1e3),
    st.floats(min_value=1.5, max_value=1e6),
    st.lists(unit, min_size=1, max_size=20),
)
def test_log_float_encode_inverts_decode(low: float, ratio: float, u: list[float]) -> None:
    p = FloatParam("x", low, low * ratio, log=True)
    values = p.decode(np.array(u))
    assert [p.encode(v) for v in values] == pytest.approx(u, abs=1e-9)


def test_a_wide_log_range_is_log_uniform_by_ks() -> None:
    p = FloatParam("lr", 1e-7, 10.0, log=True)
    x = np.array(p.decode(np.random.default_rng(9).random(3000)))
    assert stats.kstest(np.log10(x), stats.uniform(loc=-7, scale=8).cdf).pvalue > 0.01
