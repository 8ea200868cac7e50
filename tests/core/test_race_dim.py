"""Which categorical races (app/core/race.py's `race_dim`), found by review: only one whose
values switch tunable parameters on and off, which is active in every configuration and has
two values or more; so a child search refined to one model still races its optimizer, one
refined to two optimizers sharing their parameters does not race them, and fixed constants
do not outrank real parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.race import Race, race_dim
from app.core.region import narrow
from app.core.samplers import Position, make_sampler, trial_rng
from app.core.space import SearchSpace
from app.core.trial_log import TrialLog
from app.core.zoom import ZoomSampler

BUDGET = 200

# A parent search: the model switches four parameters, the optimizer three.
MODELS = SearchSpace.from_dict(
    {
        "model": {"type": "categorical", "choices": ["mlp", "cnn"]},
        "mlp_width": {
            "type": "int",
            "low": 16,
            "high": 512,
            "log": True,
            "condition": {"model": ["mlp"]},
        },
        "mlp_dropout": {"type": "float", "low": 0.0, "high": 0.8, "condition": {"model": ["mlp"]}},
        "cnn_filters": {
            "type": "int",
            "low": 8,
            "high": 128,
            "log": True,
            "condition": {"model": ["cnn"]},
        },
        "cnn_kernel": {"type": "int", "low": 1, "high": 7, "condition": {"model": ["cnn"]}},
        "cnn_dropout": {"type": "float", "low": 0.0, "high": 0.8, "condition": {"model": ["cnn"]}},
        "cnn_decay": {
            "type": "float",
            "low": 1e-6,
            "high": 1e-2,
            "log": True,
            "condition": {"model": ["cnn"]},
        },
        "optimizer": {"type": "categorical", "choices": ["sgd", "adam"]},
        "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
        "momentum": {
            "type": "float",
            "low": 0.0,
            "high": 0.99,
            "condition": {"optimizer": ["sgd"]},
        },
        "beta1": {
            "type": "float",
            "low": 0.5,
            "high": 0.999,
            "condition": {"optimizer": ["adam"]},
        },
        "beta2": {
            "type": "float",
            "low": 0.9,
            "high": 0.9999,
            "condition": {"optimizer": ["adam"]},
        },
    }
)


def dim_of(space: SearchSpace, name: str) -> int:
    return [p.name for p in space.dims].index(name)


def sgd_wins(p: dict[str, Any]) -> float:
    """sgd is good with any numbers; adam is bad until its betas are tuned."""
    base = (np.log10(p["lr"]) + 2.0) ** 2
    if p["optimizer"] == "sgd":
        return float(base + (p["momentum"] - 0.9) ** 2)
    return float(2.0 + base + ((p["beta1"] - 0.9) / 0.05) ** 2)


def random_history(space: SearchSpace, n: int, seed: int) -> TrialLog:
    rng = np.random.default_rng(seed)
    log = TrialLog(space, "minimize")
    points = space.decode(rng.random((n, space.ndim)))
    log.merge((i, p, sgd_wins(p)) for i, p in enumerate(points))
    return log


def asked_optimizers(space: SearchSpace, log: TrialLog, first: int, count: int) -> list[str]:
    sampler = make_sampler("zoom", {"candidates": 16})
    out = []
    for number in range(first, first + count):
        position = Position(seed=0, number=number, budget=BUDGET)
        (p,) = sampler.suggest(space, log, trial_rng(0, number), 1, position=position)
        out.append(p["optimizer"])
    return out


def test_a_child_refined_to_one_model_still_races_its_optimizer() -> None:
    # The parent races `model` (four dependents against the optimizer's three). The user
    # refines to the cnn: `model` keeps one choice and its four conditions, so `race_dim`
    # still picks it, `Race.plan` then gives up (one value cannot race), and the optimizer,
    # which switches momentum / beta1 / beta2 exactly as before, never races in the child.
    child = narrow(MODELS, {"model": ["cnn"]})
    assert child.params["model"].choices == ("cnn",)
    zoom = ZoomSampler({"candidates": 16})
    n_init = zoom.n_init(child, BUDGET)
    race = Race.plan(child, n_init, BUDGET)
    assert race_dim(child) == dim_of(child, "optimizer"), (
        f"race_dim picked {child.dims[race_dim(child) or 0].name!r}, a categorical with one choice"
    )
    assert race is not None and race.dim == dim_of(child, "optimizer")


def test_a_child_refined_to_one_model_gives_each_optimizer_its_turns() -> None:
    # The same, as the user sees it: in the race window the asks should take turns between
    # sgd and adam (what the same space without the one-choice `model` does); the child's
    # bandit keeps asking sgd, adam's betas are never tuned.
    child = narrow(MODELS, {"model": ["cnn"]})
    zoom = ZoomSampler({"candidates": 16})
    n_init = zoom.n_init(child, BUDGET)
    # The race the child should run: that of the equal space without the one-choice `model`
    # (its dependents always active there).
    flat = {k: dict(v) for k, v in child.to_dict().items() if k != "model"}
    for v in flat.values():
        if v.get("condition", {}).keys() == {"model"}:
            del v["condition"]
    flat_space = SearchSpace.from_dict(flat)
    expected = Race.plan(flat_space, zoom.n_init(flat_space, BUDGET), BUDGET)
    assert expected is not None and zoom.n_init(flat_space, BUDGET) == n_init
    log = random_history(child, expected.start, seed=1)
    asked = asked_optimizers(child, log, expected.start, 8)
    assert asked.count("adam") == 4, asked


OPTIMIZERS = SearchSpace.from_dict(
    {
        "optimizer": {"type": "categorical", "choices": ["sgd", "adam", "adamw"]},
        "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
        "width": {"type": "int", "low": 16, "high": 512, "log": True},
        "momentum": {
            "type": "float",
            "low": 0.0,
            "high": 0.99,
            "condition": {"optimizer": ["sgd"]},
        },
        "beta1": {
            "type": "float",
            "low": 0.5,
            "high": 0.999,
            "condition": {"optimizer": ["adam", "adamw"]},
        },
        "beta2": {
            "type": "float",
            "low": 0.9,
            "high": 0.9999,
            "condition": {"optimizer": ["adam", "adamw"]},
        },
    }
)


def adam_wins(p: dict[str, Any]) -> float:
    base = (np.log10(p["lr"]) + 3.0) ** 2 + (p["beta1"] - 0.9) ** 2
    return float(base + (1.0 if p["optimizer"] == "adamw" else 0.0))


def test_a_child_whose_optimizers_share_their_parameters_does_not_race_them() -> None:
    # Refined to adam and adamw, both have beta1 and beta2: the conditions still name the
    # optimizer but hold for every value, so it switches nothing. The module says a race "is
    # run only where values switch parameters: elsewhere the incumbent's numbers carry over"
    # (a race costs the winner about half its trials); here it runs, and adamw, worse by 1.0
    # in every trial, takes every other trial of the race window.
    child = narrow(OPTIMIZERS, {"optimizer": ["adam", "adamw"]})
    assert child.params["beta1"].condition == (("optimizer", ("adam", "adamw")),)
    zoom = ZoomSampler({"candidates": 16})
    n_init = zoom.n_init(child, BUDGET)
    race = Race.plan(child, n_init, BUDGET)
    start = n_init + int(0.25 * (BUDGET - n_init))
    rng = np.random.default_rng(2)
    log = TrialLog(child, "minimize")
    points = child.decode(rng.random((start, child.ndim)))
    log.merge((i, p, adam_wins(p)) for i, p in enumerate(points))
    sampler = make_sampler("zoom", {"candidates": 16})
    asked = []
    for number in range(start, start + 12):
        position = Position(seed=0, number=number, budget=BUDGET)
        (p,) = sampler.suggest(child, log, trial_rng(0, number), 1, position=position)
        asked.append(p["optimizer"])
    assert asked.count("adamw") <= 3, asked
    assert race is None, f"races {race.sizes} x {race.per_value} trials from {race.start}"


def test_fixed_constants_do_not_outrank_the_parameters_an_optimizer_switches() -> None:
    # `device` switches three fixed constants (no dimension, nothing to tune), `optimizer`
    # switches momentum and beta1. `race_dim` counts every parameter a condition names, fixed
    # ones too, so `device` races (its values get their turns though they have no numbers of
    # their own to find, which is what the race is for) and the optimizer never does.
    space = SearchSpace.from_dict(
        {
            "device": {"type": "categorical", "choices": ["cpu", "gpu"]},
            "threads": {"type": "fixed", "value": 8, "condition": {"device": ["cpu"]}},
            "cuda_device": {"type": "fixed", "value": "0", "condition": {"device": ["gpu"]}},
            "precision": {"type": "fixed", "value": "fp16", "condition": {"device": ["gpu"]}},
            "optimizer": {"type": "categorical", "choices": ["sgd", "adam"]},
            "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
            "momentum": {
                "type": "float",
                "low": 0.0,
                "high": 0.99,
                "condition": {"optimizer": ["sgd"]},
            },
            "beta1": {
                "type": "float",
                "low": 0.5,
                "high": 0.999,
                "condition": {"optimizer": ["adam"]},
            },
        }
    )
    zoom = ZoomSampler({"candidates": 16})
    race = Race.plan(space, zoom.n_init(space, BUDGET), BUDGET)
    assert race is not None
    assert space.dims[race.dim].name == "optimizer", space.dims[race.dim].name


def test_a_child_refined_to_one_branch_races_the_optimizer_of_that_branch() -> None:
    # The optimizer exists for the network branch only (conditional, so the parent rightly
    # does not race it). Refined to the network, its condition `arch in [net]` always holds:
    # it is always active and switches momentum / beta1 / beta2, yet `race_dim` still reads
    # it as conditional (`not p.condition`) and picks the one-choice `arch`: no race at all.
    parent = SearchSpace.from_dict(
        {
            "arch": {"type": "categorical", "choices": ["tree", "net"]},
            "depth": {"type": "int", "low": 2, "high": 30, "condition": {"arch": ["tree"]}},
            "width": {
                "type": "int",
                "low": 16,
                "high": 512,
                "log": True,
                "condition": {"arch": ["net"]},
            },
            "optimizer": {
                "type": "categorical",
                "choices": ["sgd", "adam"],
                "condition": {"arch": ["net"]},
            },
            "lr": {
                "type": "float",
                "low": 1e-5,
                "high": 1.0,
                "log": True,
                "condition": {"arch": ["net"]},
            },
            "momentum": {
                "type": "float",
                "low": 0.0,
                "high": 0.99,
                "condition": {"optimizer": ["sgd"]},
            },
            "beta1": {
                "type": "float",
                "low": 0.5,
                "high": 0.999,
                "condition": {"optimizer": ["adam"]},
            },
            "beta2": {
                "type": "float",
                "low": 0.9,
                "high": 0.9999,
                "condition": {"optimizer": ["adam"]},
            },
        }
    )
    child = narrow(parent, {"arch": ["net"]})
    zoom = ZoomSampler({"candidates": 16})
    race = Race.plan(child, zoom.n_init(child, BUDGET), BUDGET)
    assert race is not None and child.dims[race.dim].name == "optimizer", race_dim(child)
