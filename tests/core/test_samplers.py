"""Samplers: in bounds, seeded and reproducible, unknown names refused."""

from __future__ import annotations

import pytest

from app.core.samplers import SAMPLERS, make_sampler, trial_rng
from app.core.space import SearchSpace, SpaceError
from tests.core.test_space import DEMO

SPACE = SearchSpace.from_dict(DEMO)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_values_are_valid_for_the_space(name: str) -> None:
    sampler = make_sampler(name)
    for number in range(50):
        for params in sampler.suggest(SPACE, [], trial_rng(7, number), 3):
            SPACE.validate_params(params)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_same_seed_same_sequence_other_seed_other_sequence(name: str) -> None:
    sampler = make_sampler(name)
    first = [sampler.suggest(SPACE, [], trial_rng(7, n), 1) for n in range(10)]
    again = [sampler.suggest(SPACE, [], trial_rng(7, n), 1) for n in range(10)]
    other = [sampler.suggest(SPACE, [], trial_rng(8, n), 1) for n in range(10)]
    assert first == again
    assert first != other


def test_unknown_sampler_lists_the_known_ones() -> None:
    with pytest.raises(SpaceError, match="choose one of: random") as info:
        make_sampler("annealing")
    assert info.value.loc == ("sampler",)
