"""Search quality: the best value each sampler reaches at a budget, over several seeds.

Calls the core samplers in a plain ask/tell loop (no database, no worker) on the built-in
objectives. Run `.venv/bin/python benchmarks/quality.py --help` for the options.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.samplers import Position, make_sampler, trial_rng  # noqa: E402
from app.core.space import SearchSpace  # noqa: E402
from app.objectives import BUILTINS, ObjectiveSpec  # noqa: E402

SAMPLERS = ("random-linear", "random", "sobol", "zoom", "tpe")
OBJECTIVES = ("lr-cliff", "lr-batch-ridge", "noisy-solver", "mlp-digits")
# Benchmark-only objectives (issue 16), defined below and not offered to the dashboard.
EXTRA = ("category-penalty", "bound-optimum", "interior-optimum")
# Samplers whose point n depends on the budget get one run per budget; for the others the
# best after 60 trials of the longest run is the best of a 60-trial search.
BUDGET_AWARE = {"zoom"}


PENALTY = {"sgd": 0.5, "rmsprop": 1.0, "adam": 0.0}
UNIT = {"type": "float", "low": 0.0, "high": 1.0}


def category_penalty(p: dict[str, Any]) -> float:
    """The optimizer's fixed penalty (adam 0, sgd 0.5, rmsprop 1) plus a bowl; minimum 0."""
    bowl = ((np.log10(p["lr"]) + 3) / 5) ** 2
    bowl += sum((p[f"x{i}"] - 0.7 + 0.1 * i) ** 2 for i in range(4))
    return float(PENALTY[p["optimizer"]] + 10 * bowl)


def bound_optimum(p: dict[str, Any]) -> float:
    """Linear in x (best at its lower bound 0), a bowl in y and z; minimum 0."""
    return float(p["x"] + (p["y"] - 0.5) ** 2 + (p["z"] - 0.5) ** 2)


def interior_optimum(p: dict[str, Any]) -> float:
    """A bowl whose minimum (0) is inside but near the bounds: x = 0.05, z = 0.93."""
    return float((p["x"] - 0.05) ** 2 + (p["y"] - 0.5) ** 2 + (p["z"] - 0.93) ** 2)


SPECS: dict[str, ObjectiveSpec] = {
    **BUILTINS,
    "category-penalty": ObjectiveSpec(
        "category-penalty",
        "__main__:category_penalty",
        "minimize",
        "A categorical that dominates: a fixed penalty per optimizer plus a 5-d bowl.",
        {
            "optimizer": {"type": "categorical", "choices": ["sgd", "rmsprop", "adam"]},
            "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
            **{f"x{i}": UNIT for i in range(4)},
        },
    ),
    "bound-optimum": ObjectiveSpec(
        "bound-optimum",
        "__main__:bound_optimum",
        "minimize",
        "The optimum on a bound (x = 0).",
        {"x": UNIT, "y": UNIT, "z": UNIT},
    ),
    "interior-optimum": ObjectiveSpec(
        "interior-optimum",
        "__main__:interior_optimum",
        "minimize",
        "The optimum inside, near two bounds.",
        {"x": UNIT, "y": UNIT, "z": UNIT},
    ),
}
LOCAL: dict[str, Callable[[dict[str, Any]], float]] = {
    "category-penalty": category_penalty,
    "bound-optimum": bound_optimum,
    "interior-optimum": interior_optimum,
}


def on_bounds(space: SearchSpace, params: dict[str, Any]) -> tuple[int, int]:
    """How many of the trial's float values sit exactly on a bound, and how many floats."""
    floats = [(p, params[p.name]) for p in space.dims if p.type == "float" and p.name in params]
    return sum(v in (p.low, p.high) for p, v in floats), len(floats)


def linear_copy(space: dict[str, Any]) -> dict[str, Any]:
    """The same space with every parameter on a linear scale: the naive baseline."""
    return {name: {k: v for k, v in p.items() if k != "log"} for name, p in space.items()}


def load(target: str) -> Callable[[dict[str, Any]], float]:
    """Import `module:function` (a benchmark-only objective is looked up here)."""
    module, function = target.split(":")
    if module == "__main__":
        return LOCAL[function.replace("_", "-")]
    return getattr(importlib.import_module(module), function)


def evaluate(fn: Callable[[dict[str, Any]], float], params: dict[str, Any]) -> float | None:
    """The objective's value, or None for a failed trial (a diverged network, say)."""
    try:
        return float(fn(params))
    except (ValueError, RuntimeError):
        return None


def run(
    objective: str, sampler_name: str, seed: int, budget: int, bounds: list[int] | None = None
) -> list[float]:
    """One search; returns the best value so far after each trial (lower is better).

    `bounds`, when given, gains [float values exactly on a bound, float values] of the search.
    """
    spec = SPECS[objective]
    space_dict = linear_copy(spec.space) if sampler_name == "random-linear" else spec.space
    space = SearchSpace.from_dict(space_dict)
    sampler = make_sampler(sampler_name.removesuffix("-linear"))
    fn, sign = load(spec.target), -1.0 if spec.direction == "maximize" else 1.0
    history: list[tuple[dict[str, Any], float | None]] = []
    best, curve = np.inf, []
    for number in range(budget):
        position = Position(seed, number, budget)
        params = sampler.suggest(
            space,
            history,
            trial_rng(seed, number),
            1,
            position=position,
            direction=spec.direction,
        )[0]
        value = evaluate(fn, params)
        history.append((params, value))
        if bounds is not None:
            on, of = on_bounds(space, params)
            bounds[0], bounds[1] = bounds[0] + on, bounds[1] + of
        best = min(best, np.inf if value is None else sign * value)
        curve.append(best)
    return curve


def measure(
    objective: str, sampler: str, seeds: list[int], budgets: list[int], bounds: list[int]
) -> dict[int, list[float]]:
    """Best value at each budget for each seed (in the objective's own direction).

    `bounds` gains the on-bound counts of the longest run of each seed.
    """
    sign = -1.0 if SPECS[objective].direction == "maximize" else 1.0
    out: dict[int, list[float]] = {b: [] for b in budgets}
    top = max(budgets)
    for seed in seeds:
        longest = run(objective, sampler, seed, top, bounds)
        runs = (
            {b: longest if b == top else run(objective, sampler, seed, b) for b in budgets}
            if sampler in BUDGET_AWARE
            else dict.fromkeys(budgets, longest)
        )
        for b in budgets:
            out[b].append(sign * runs[b][b - 1])
    return out


def row(
    objective: str,
    sampler: str,
    result: dict[int, list[float]],
    bounds: list[int],
    seconds: float,
) -> str:
    """One markdown table row: median [min, max] per budget, % of floats on a bound, time."""
    cells = [f"{np.median(v):.4g} [{min(v):.3g}, {max(v):.3g}]" for _, v in sorted(result.items())]
    share = f"{100 * bounds[0] / bounds[1]:.1f}" if bounds[1] else "-"
    return f"| {objective} | {sampler} | " + " | ".join(cells) + f" | {share} | {seconds:.0f} |"


def main(argv: list[str] | None = None) -> None:
    """Parse options, run every (objective, sampler) pair and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--budgets", default="60,150", help="comma-separated (default 60,150)")
    parser.add_argument(
        "--objectives",
        default=",".join(OBJECTIVES),
        help=f"comma-separated; besides the built-in ones: {', '.join(EXTRA)}",
    )
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds))
    budgets = sorted(int(b) for b in args.budgets.split(","))
    heads = " | ".join(f"best at {b}: median [min, max]" for b in budgets)
    print(f"| objective | sampler | {heads} | % floats on a bound | seconds |")
    print("|---|---|" + "---|" * len(budgets) + "---|---|")
    raw: dict[str, Any] = {}
    for objective in args.objectives.split(","):
        for sampler in args.samplers.split(","):
            start = time.perf_counter()
            bounds = [0, 0]
            result = measure(objective, sampler, seeds, budgets, bounds)
            print(row(objective, sampler, result, bounds, time.perf_counter() - start), flush=True)
            raw[f"{objective}/{sampler}"] = result
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
