"""Search quality: the best value each sampler reaches at a budget, over several seeds.

Calls the core samplers in a plain ask/tell loop (no database, no worker) on the built-in
objectives and the benchmark-only ones below, beside Optuna's GPSampler (`gp`) and
CmaEsSampler (`cmaes`) driven through a study's ask/tell on the same space, seeds and
objectives. Then times one ask of each sampler with 150, 1,000 and 10,000 completed trials of
history (`--ask-sizes`). Run `.venv/bin/python benchmarks/quality.py --help` for the options.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/quality.py --seeds 10 \
        --samplers random,zoom,tpe,gp,cmaes
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.model_based import distribution  # noqa: E402
from app.core.samplers import History, Position, make_sampler, trial_rng  # noqa: E402
from app.core.space import (  # noqa: E402
    FixedParam,
    FloatParam,
    IntParam,
    Params,
    SearchSpace,
)
from app.core.trial_log import TrialLog  # noqa: E402
from app.objectives import BUILTINS, ObjectiveSpec  # noqa: E402

if TYPE_CHECKING:
    import optuna

SAMPLERS = ("random-linear", "random", "sobol", "zoom", "tpe", "gp", "cmaes")
OBJECTIVES = ("lr-cliff", "lr-batch-ridge", "noisy-solver", "mlp-digits")
# Benchmark-only objectives (issue 16), defined below and not offered to the dashboard.
EXTRA = ("category-penalty", "bound-optimum", "interior-optimum", "conditional-net")
# All of them, mlp-digits (about 1 s per trial) last so that the cheap rows come first.
DEFAULT_OBJECTIVES = tuple(o for o in OBJECTIVES if o != "mlp-digits") + EXTRA + ("mlp-digits",)
# Optuna's own samplers, driven through a study's ask/tell (tpe goes through app/core).
OPTUNA = {"gp", "cmaes"}
# What each sampler needs beyond numpy (module, package to name when it is missing).
NEEDS = {
    "tpe": [("optuna", "optuna")],
    "gp": [("optuna", "optuna"), ("torch", "torch")],
    "cmaes": [("optuna", "optuna"), ("cmaes", "cmaes")],
}
# Where the optimal category is known: the best trial of a seed "used the optimal category"
# when it has all these values.
OPTIMAL: dict[str, dict[str, Any]] = {
    "noisy-solver": {"solver": "adam"},
    "category-penalty": {"optimizer": "adam"},
    "conditional-net": {"optimizer": "adam", "layers": 3},
}
# The objective whose random trials make the history of the ask-time rows.
ASK_OBJECTIVE = "category-penalty"
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


# conditional-net: a fixed penalty per optimizer and per depth, each optimizer's best log10
# rate at batch 128, and its own parameters' best values (value, scale of a unit miss).
NET_PENALTY = {"adam": 0.0, "rmsprop": 0.15, "sgd": 0.3}
NET_LAYERS = {1: 0.4, 2: 0.15, 3: 0.0, 4: 0.1}
NET_LR = {"adam": -3.0, "rmsprop": -3.5, "sgd": -1.5}
NET_OWN = {
    "sgd": {"momentum": (0.9, 0.3)},
    "rmsprop": {"rho": (0.9, 0.2)},
    "adam": {"beta1": (0.9, 0.2), "beta2": (0.99, 0.05)},
}


def conditional_net(p: dict[str, Any]) -> float:
    """A 14-parameter network's loss, made up; minimum 0 (adam, 3 layers, see below).

    Each optimizer has its own parameters (momentum for sgd, rho for rmsprop, beta1 and beta2
    for adam) and its own best rate, which grows with the square root of the batch size (a
    ridge); only the first `layers` widths exist. The optimum: adam, lr = 1e-3, beta1 = 0.9,
    beta2 = 0.99, batch 128, l2 = 1e-4, dropout 0.2, 3 layers of 256 units. Sgd and rmsprop
    cost a fixed 0.3 and 0.15 at their best, and another depth 0.1 to 0.4, so a sampler that
    solves the continuous part inside the wrong category stays visibly above 0.
    """
    optimizer, batch, layers = p["optimizer"], int(p["batch_size"]), int(p["layers"])
    target = NET_LR[optimizer] + 0.5 * math.log10(batch / 128)
    loss = NET_PENALTY[optimizer] + NET_LAYERS[layers]
    loss += ((math.log10(p["lr"]) - target) / 2) ** 2
    loss += sum(((p[k] - best) / scale) ** 2 for k, (best, scale) in NET_OWN[optimizer].items())
    loss += 0.5 * (math.log2(batch / 128) / 3) ** 2
    loss += 0.5 * ((math.log10(p["l2"]) + 4) / 3) ** 2
    loss += 0.5 * ((p["dropout"] - 0.2) / 0.4) ** 2
    loss += sum((math.log2(p[f"units_{k}"] / 256) / 3) ** 2 for k in range(1, layers + 1)) / layers
    return float(loss)


NET_SPACE: dict[str, Any] = {
    "optimizer": {"type": "categorical", "choices": ["sgd", "rmsprop", "adam"]},
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "momentum": {"type": "float", "low": 0.0, "high": 0.99, "condition": {"optimizer": ["sgd"]}},
    "rho": {"type": "float", "low": 0.5, "high": 0.999, "condition": {"optimizer": ["rmsprop"]}},
    "beta1": {"type": "float", "low": 0.5, "high": 0.999, "condition": {"optimizer": ["adam"]}},
    "beta2": {"type": "float", "low": 0.9, "high": 0.9999, "condition": {"optimizer": ["adam"]}},
    "batch_size": {"type": "int", "low": 16, "high": 1024, "log": True},
    "l2": {"type": "float", "low": 1e-7, "high": 1e-1, "log": True},
    "dropout": {"type": "float", "low": 0.0, "high": 0.8},
    "layers": {"type": "int", "low": 1, "high": 4},
    **{
        f"units_{k}": {
            "type": "int",
            "low": 16,
            "high": 1024,
            "log": True,
            "condition": {"layers": list(range(k, 5))},
        }
        for k in range(1, 5)
    },
}


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
    "conditional-net": ObjectiveSpec(
        "conditional-net",
        "__main__:conditional_net",
        "minimize",
        "14 parameters with conditionals (per optimizer, per layer); minimum 0.",
        NET_SPACE,
    ),
}
LOCAL: dict[str, Callable[[dict[str, Any]], float]] = {
    "category-penalty": category_penalty,
    "bound-optimum": bound_optimum,
    "interior-optimum": interior_optimum,
    "conditional-net": conditional_net,
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


Trials = list[tuple[Params, float | None]]


def history_for(space: SearchSpace, trials: Trials, direction: str) -> History:
    """What a hyperzoom sampler is given as history after `trials` (all so far, in order).

    As the store hands it (app/store/histories.py): a `TrialLog` kept between asks and caught
    up with the trials added since the last one, so an ask pays for what changed; the first
    ask on a history reads all of it, as a fresh process does.
    """
    kept = _KEPT.get(id(trials))
    if kept is None or kept[0] is not trials or kept[1].space is not space:
        kept = (trials, TrialLog(space, direction), [0])
        _KEPT[id(trials)] = kept
        while len(_KEPT) > 8:  # one per run in flight; the oldest runs are over
            del _KEPT[next(iter(_KEPT))]
    _, log, seen = kept
    log.merge((i, p, v) for i, (p, v) in enumerate(trials[seen[0] :], start=seen[0]))
    seen[0] = len(trials)
    return log


# The kept logs by the id of the trials list they follow (which they hold, so ids stay theirs).
_KEPT: dict[int, tuple[Trials, TrialLog, list[int]]] = {}


def missing(sampler: str) -> str | None:
    """The cell text when a module the sampler needs is not installed, else None."""
    for module, package in NEEDS.get(sampler, []):
        if importlib.util.find_spec(module) is None:
            return f"n/a (needs {package})"
    return None


def quiet_optuna() -> None:
    """No log line per told trial, no GP convergence notes, no experimental warnings."""
    if importlib.util.find_spec("optuna") is None:
        return
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def optuna_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    """Optuna's GPSampler or CmaEsSampler with its defaults, seeded like the other samplers.

    Both model only the parameters present in every trial so far (Optuna's intersection search
    space); a conditional parameter is drawn by the sampler's `independent_sampler`, left at
    its default (RandomSampler with the same seed). GP models categoricals itself; CMA-ES does
    not handle categoricals at all, so they too go to that independent (random) sampler.
    """
    import optuna

    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed, warn_independent_sampling=False)
    return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


def ask_params(trial: optuna.Trial, space: SearchSpace) -> Params:
    """Suggest each active parameter of `space` on `trial`, parents first (as tpe does)."""
    out: Params = {}
    for name in space.order:
        p = space.params[name]
        if not space.is_active(name, out):
            continue
        if isinstance(p, FixedParam):
            out[name] = p.value
        elif isinstance(p, FloatParam):
            out[name] = trial.suggest_float(name, p.low, p.high, log=p.log, step=p.step)
        elif isinstance(p, IntParam):
            out[name] = trial.suggest_int(name, p.low, p.high, log=p.log, step=p.step)
        else:
            out[name] = trial.suggest_categorical(name, p.choices)
    return {name: out[name] for name in space.params if name in out}


def tell(study: optuna.Study, trial: optuna.Trial, value: float | None) -> None:
    """Tell the value, or a failure for a failed or non-finite one."""
    import optuna

    if value is None or not math.isfinite(value):
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    else:
        study.tell(trial, value)


def frozen(space: SearchSpace, params: Params, value: float | None) -> optuna.trial.FrozenTrial:
    """A finished trial to `add_trials` to a study, with the space's distributions."""
    import optuna

    dims = {k: v for k, v in params.items() if not isinstance(space.params[k], FixedParam)}
    dists = {k: distribution(space.params[k]) for k in dims}  # type: ignore[arg-type]
    ok = value is not None and math.isfinite(value)
    return optuna.trial.create_trial(
        params=dims,
        distributions=dists,
        value=value if ok else None,
        state=optuna.trial.TrialState.COMPLETE if ok else optuna.trial.TrialState.FAIL,
    )


def space_of(objective: str, sampler: str) -> SearchSpace:
    """The objective's space; on a linear scale throughout for `random-linear`."""
    spec = SPECS[objective]
    return SearchSpace.from_dict(
        linear_copy(spec.space) if sampler == "random-linear" else spec.space
    )


def search(
    sampler_name: str,
    space: SearchSpace,
    direction: str,
    fn: Callable[[dict[str, Any]], float],
    seed: int,
    budget: int,
) -> Iterator[tuple[Params, float | None]]:
    """Yield each trial of one search as it is told: ours by `suggest`, Optuna's by ask/tell."""
    if sampler_name in OPTUNA:
        import optuna

        sampler = optuna_sampler(sampler_name, seed)
        study = optuna.create_study(direction=direction, sampler=sampler)
        for _ in range(budget):
            trial = study.ask()
            params = ask_params(trial, space)
            value = evaluate(fn, params)
            tell(study, trial, value)
            yield params, value
        return
    ours = make_sampler(sampler_name.removesuffix("-linear"))
    trials: Trials = []
    for number in range(budget):
        params = ours.suggest(
            space,
            history_for(space, trials, direction),
            trial_rng(seed, number),
            1,
            position=Position(seed, number, budget),
            direction=direction,
        )[0]
        trials.append((params, evaluate(fn, params)))
        yield trials[-1]


@dataclass
class Run:
    """One search: the best loss after each trial, the best trial, its float values on a bound."""

    curve: list[float]
    best: Params | None = None
    on_bound: int = 0
    floats: int = 0


def run(objective: str, sampler_name: str, seed: int, budget: int) -> Run:
    """One search of `budget` trials (losses: lower is better)."""
    spec = SPECS[objective]
    space = space_of(objective, sampler_name)
    fn, sign = load(spec.target), -1.0 if spec.direction == "maximize" else 1.0
    out, best = Run([]), np.inf
    for params, value in search(sampler_name, space, spec.direction, fn, seed, budget):
        on, of = on_bounds(space, params)
        out.on_bound, out.floats = out.on_bound + on, out.floats + of
        loss = np.inf if value is None else sign * value
        if loss < best:
            best, out.best = loss, params
        out.curve.append(best)
    return out


@dataclass
class Result:
    """One (objective, sampler) pair over all seeds."""

    best: dict[int, list[float]]  # budget -> best value of each seed, in the objective's sense
    on_bound: int  # float values exactly on a bound, over the longest run of each seed
    floats: int
    # Seeds whose best trial used the optimal category (all of OPTIMAL's values), and each
    # value alone; None where the optimal category is not known.
    optimal: int | None
    optimal_each: dict[str, int]
    seconds: float


def measure(objective: str, sampler: str, seeds: list[int], budgets: list[int]) -> Result:
    """Best value at each budget for each seed; bounds and categories from the longest runs."""
    start = time.perf_counter()
    sign = -1.0 if SPECS[objective].direction == "maximize" else 1.0
    best: dict[int, list[float]] = {b: [] for b in budgets}
    top, optimum = max(budgets), OPTIMAL.get(objective)
    on_bound = floats = hits = 0
    each = dict.fromkeys(optimum or {}, 0)
    for seed in seeds:
        longest = run(objective, sampler, seed, top)
        on_bound, floats = on_bound + longest.on_bound, floats + longest.floats
        used = {k: (longest.best or {}).get(k) == v for k, v in (optimum or {}).items()}
        hits += bool(used) and all(used.values())
        each = {k: n + used[k] for k, n in each.items()}
        for b in budgets:
            curve = longest.curve
            if sampler in BUDGET_AWARE and b != top:
                curve = run(objective, sampler, seed, b).curve
            best[b].append(sign * curve[b - 1])
    seconds = time.perf_counter() - start
    return Result(best, on_bound, floats, hits if optimum else None, each, seconds)


def row(objective: str, sampler: str, result: Result | str, n_budgets: int) -> str:
    """One markdown row: median [min, max] per budget, % floats on a bound, optimal category."""
    if isinstance(result, str):
        return f"| {objective} | {sampler} | " + " | ".join([result] * (n_budgets + 3)) + " |"
    cells = [
        f"{np.median(v):.4g} [{min(v):.3g}, {max(v):.3g}]" for _, v in sorted(result.best.items())
    ]
    share = f"{100 * result.on_bound / result.floats:.1f}" if result.floats else "-"
    seeds = len(next(iter(result.best.values())))
    optimal = "-" if result.optimal is None else f"{result.optimal}/{seeds}"
    if len(result.optimal_each) > 1:
        alone = ", ".join(f"{k} {n}/{seeds}" for k, n in result.optimal_each.items())
        optimal += f" ({alone})"
    tail = f" | {share} | {optimal} | {result.seconds:.0f} |"
    return f"| {objective} | {sampler} | " + " | ".join(cells) + tail


class AskTimeout(Exception):
    """An ask took longer than the cap."""


@contextmanager
def time_cap(seconds: float) -> Iterator[None]:
    """Raise AskTimeout in the block once `seconds` have passed (SIGALRM, main thread)."""

    def stop(signum: int, frame: Any) -> None:
        raise AskTimeout

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def random_trials(objective: str, n: int) -> Trials:
    """`n` uniformly random trials of `objective`, evaluated: the history of the ask rows."""
    space, fn = space_of(objective, "random"), load(SPECS[objective].target)
    points = space.decode(np.random.default_rng(0).random((n, space.ndim)))
    return [(params, evaluate(fn, params)) for params in points]


def ask_seconds(
    sampler: str, objective: str, trials: Trials, asks: int, cap: float
) -> list[float]:
    """Seconds of `asks` + 1 asks after `trials`, each told before the next; the first warms up.

    Optuna's samplers ask on an in-memory study that already holds `trials` (`add_trials`);
    ours get them through `history_for`, inside the timed call. Raises AskTimeout when one
    ask takes longer than `cap` seconds.
    """
    spec = SPECS[objective]
    space, fn, direction = space_of(objective, sampler), load(spec.target), spec.direction
    times: list[float] = []
    if sampler in OPTUNA:
        import optuna

        study = optuna.create_study(direction=direction, sampler=optuna_sampler(sampler, 0))
        study.add_trials([frozen(space, p, v) for p, v in trials])
        for _ in range(asks + 1):
            start = time.perf_counter()
            with time_cap(cap):
                trial = study.ask()
                params = ask_params(trial, space)
            times.append(time.perf_counter() - start)
            tell(study, trial, evaluate(fn, params))
        return times
    ours, log = make_sampler(sampler.removesuffix("-linear")), list(trials)
    budget = len(log) + asks + 1
    for _ in range(asks + 1):
        number = len(log)
        start = time.perf_counter()
        with time_cap(cap):
            params = ours.suggest(
                space,
                history_for(space, log, direction),
                trial_rng(0, number),
                1,
                position=Position(0, number, budget),
                direction=direction,
            )[0]
        times.append(time.perf_counter() - start)
        log.append((params, evaluate(fn, params)))
    return times


def gp_gigabytes(objective: str, n: int) -> float:
    """The peak memory of one GP ask on n trials, in GB: Optuna's GP keeps an n x n x d tensor
    of squared differences (float64) and its kernel fit makes more of that size; 2.2 GB more
    were measured at 2,000 trials of category-penalty (d = 6), about twelve such tensors."""
    return 12 * n * n * space_of(objective, "gp").ndim * 8 / 1e9


def duration(seconds: float) -> str:
    """A time in ms below one second, else in s."""
    return f"{1000 * seconds:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def ask_row(
    sampler: str, sizes: list[int], histories: dict[int, Trials], args: Any
) -> tuple[str, dict[int, list[float]]]:
    """One markdown row of ask times, the median ask (and the first, and the slowest after it)
    at each history size, and the seconds of each ask by size."""
    cells: list[str] = []
    raw: dict[int, list[float]] = {}
    if missing(sampler) is None:  # imports and first calls (torch, scipy) out of the way
        ask_seconds(sampler, args.ask_objective, histories[min(sizes)][:20], 0, 600)
    for n in sizes:
        if (reason := missing(sampler)) is not None:
            cells.append(reason)
        elif cells and cells[-1].startswith(">"):
            cells.append(f"> {args.ask_cap:g} s (not run)")
        elif sampler == "gp" and (gb := gp_gigabytes(args.ask_objective, n)) > args.gp_max_gb:
            cells.append(f"not run (~{gb:.0f} GB)")
        else:
            try:
                times = ask_seconds(
                    sampler, args.ask_objective, histories[n], args.asks, args.ask_cap
                )
            except AskTimeout:
                cells.append(f"> {args.ask_cap:g} s")
                continue
            raw[n] = times
            median, slowest = float(np.median(times[1:])), max(times[1:])
            cells.append(
                f"{duration(median)} (first {duration(times[0])}, slowest {duration(slowest)})"
            )
    return f"| {sampler} | " + " | ".join(cells) + " |", raw


def main(argv: list[str] | None = None) -> None:
    """Parse options, run every (objective, sampler) pair, then the ask times; print tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument(
        "--seed-offset",
        type=int,
        default=0,
        help="start the seeds here: OFFSET..OFFSET+N-1, to confirm on seeds not tuned on (0)",
    )
    parser.add_argument("--budgets", default="60,150", help="comma-separated (default 60,150)")
    parser.add_argument(
        "--objectives",
        default=",".join(DEFAULT_OBJECTIVES),
        help=f"comma-separated (default all, slowest last): {', '.join(DEFAULT_OBJECTIVES)}",
    )
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument(
        "--ask-sizes",
        default="150,1000,10000",
        help="history sizes of the ask-time rows (default 150,1000,10000; empty: none)",
    )
    parser.add_argument("--asks", type=int, default=5, help="timed asks per size (default 5)")
    parser.add_argument(
        "--ask-cap", type=float, default=30.0, help="seconds before an ask is given up (30)"
    )
    parser.add_argument(
        "--ask-objective", default=ASK_OBJECTIVE, help=f"history of the ask rows ({ASK_OBJECTIVE})"
    )
    parser.add_argument(
        "--gp-max-gb",
        type=float,
        default=4.0,
        help="skip a GP ask whose estimated memory exceeds this (default 4)",
    )
    parser.add_argument("--quality", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    quiet_optuna()
    samplers, started = args.samplers.split(","), time.perf_counter()
    raw: dict[str, Any] = {}
    sizes = [int(n) for n in args.ask_sizes.split(",") if n.strip()]
    if sizes:  # first: bounded, while the quality rows can run for hours on mlp-digits
        raw["ask_seconds"] = ask_table(samplers, sizes, args)
    if args.quality:
        raw.update(quality_table(args.objectives.split(","), samplers, args))
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))


def ask_table(samplers: list[str], sizes: list[int], args: Any) -> dict[str, Any]:
    """Print the ask-time rows; return the seconds of each ask by sampler and size."""
    histories = {n: random_trials(args.ask_objective, n) for n in sizes}
    print(
        f"Ask time: median of {args.asks} asks (the first, the slowest of the others) after n "
        f"random trials of "
        f"{args.ask_objective}, each ask told before the next; capped at {args.ask_cap:g} s"
    )
    print()
    print("| sampler | " + " | ".join(f"ask at {n:,}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    out: dict[str, Any] = {}
    for sampler in samplers:
        line, out[sampler] = ask_row(sampler, sizes, histories, args)
        print(line, flush=True)
    print()
    return out


def quality_table(objectives: list[str], samplers: list[str], args: Any) -> dict[str, Any]:
    """Print one row per (objective, sampler); return the best values by budget."""
    seeds = list(range(args.seed_offset, args.seed_offset + args.seeds))
    budgets = sorted(int(b) for b in args.budgets.split(","))
    heads = " | ".join(f"best at {b}: median [min, max]" for b in budgets)
    print(
        f"{len(seeds)} seeds ({seeds[0]}-{seeds[-1]}). Optimal category: in how many seeds the "
        "best trial used it (and each of its values alone)"
    )
    print()
    print(f"| objective | sampler | {heads} | % floats on a bound | optimal category | seconds |")
    print("|---|---|" + "---|" * len(budgets) + "---|---|---|")
    out: dict[str, Any] = {}
    for objective in objectives:
        for sampler in samplers:
            result = missing(sampler) or measure(objective, sampler, seeds, budgets)
            print(row(objective, sampler, result, len(budgets)), flush=True)
            if isinstance(result, Result):
                out[f"{objective}/{sampler}"] = result.best
    return out


if __name__ == "__main__":
    main()
