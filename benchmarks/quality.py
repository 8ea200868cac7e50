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
from app.objectives import BUILTINS  # noqa: E402

SAMPLERS = ("random-linear", "random", "sobol", "zoom", "tpe")
OBJECTIVES = ("lr-cliff", "lr-batch-ridge", "noisy-solver", "mlp-digits")
# Samplers whose point n depends on the budget get one run per budget; for the others the
# best after 60 trials of the longest run is the best of a 60-trial search.
BUDGET_AWARE = {"zoom"}


def linear_copy(space: dict[str, Any]) -> dict[str, Any]:
    """The same space with every parameter on a linear scale: the naive baseline."""
    return {name: {k: v for k, v in p.items() if k != "log"} for name, p in space.items()}


def load(target: str) -> Callable[[dict[str, Any]], float]:
    """Import `module:function`."""
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)


def evaluate(fn: Callable[[dict[str, Any]], float], params: dict[str, Any]) -> float | None:
    """The objective's value, or None for a failed trial (a diverged network, say)."""
    try:
        return float(fn(params))
    except (ValueError, RuntimeError):
        return None


def run(objective: str, sampler_name: str, seed: int, budget: int) -> list[float]:
    """One search; returns the best value so far after each trial (lower is better)."""
    spec = BUILTINS[objective]
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
        best = min(best, np.inf if value is None else sign * value)
        curve.append(best)
    return curve


def measure(
    objective: str, sampler: str, seeds: list[int], budgets: list[int]
) -> dict[int, list[float]]:
    """Best value at each budget for each seed (in the objective's own direction)."""
    sign = -1.0 if BUILTINS[objective].direction == "maximize" else 1.0
    out: dict[int, list[float]] = {b: [] for b in budgets}
    for seed in seeds:
        runs = (
            {b: run(objective, sampler, seed, b) for b in budgets}
            if sampler in BUDGET_AWARE
            else dict.fromkeys(budgets, run(objective, sampler, seed, max(budgets)))
        )
        for b in budgets:
            out[b].append(sign * runs[b][b - 1])
    return out


def row(objective: str, sampler: str, result: dict[int, list[float]], seconds: float) -> str:
    """One markdown table row: median [min, max] per budget."""
    cells = [f"{np.median(v):.4g} [{min(v):.3g}, {max(v):.3g}]" for _, v in sorted(result.items())]
    return f"| {objective} | {sampler} | " + " | ".join(cells) + f" | {seconds:.0f} |"


def main(argv: list[str] | None = None) -> None:
    """Parse options, run every (objective, sampler) pair and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--budgets", default="60,150", help="comma-separated (default 60,150)")
    parser.add_argument("--objectives", default=",".join(OBJECTIVES))
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds))
    budgets = sorted(int(b) for b in args.budgets.split(","))
    heads = " | ".join(f"best at {b}: median [min, max]" for b in budgets)
    print(f"| objective | sampler | {heads} | seconds |")
    print("|---|---|" + "---|" * len(budgets) + "---|")
    raw: dict[str, Any] = {}
    for objective in args.objectives.split(","):
        for sampler in args.samplers.split(","):
            start = time.perf_counter()
            result = measure(objective, sampler, seeds, budgets)
            print(row(objective, sampler, result, time.perf_counter() - start), flush=True)
            raw[f"{objective}/{sampler}"] = result
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
