"""Model-based sampling through Optuna's TPE, an optional extra (`hyperzoom[tpe]`).

Optuna is imported lazily, inside the calls, so the core runs without it. Each call builds an
in-memory study from the history (only the active parameters of each trial, so conditional
parameters are modelled where they exist), asks one trial, and forgets the study.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.params import CategoricalParam, FixedParam, FloatParam, IntParam
from app.core.sampling import History, Position, check_options, number_option, valid_history
from app.core.space import Params, SearchSpace

if TYPE_CHECKING:
    import optuna


class TpeSampler:
    """Optuna's TPESampler (multivariate, grouped for conditional spaces) on our history.

    Args (options):
        n_startup_trials: random trials before the model takes over (default 10).
    """

    name = "tpe"
    needs_history = True

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        check_options(self.name, options, {"n_startup_trials"})
        self.n_startup = int(
            number_option(options, "n_startup_trials", 10, 0, 10_000, integer=True)
        )

    def check(self, space: SearchSpace, n_trials: int) -> None:
        """Any budget works."""

    def suggest(
        self,
        space: SearchSpace,
        history: History,
        rng: np.random.Generator,
        n: int,
        *,
        position: Position,
        direction: str = "minimize",
    ) -> list[Params]:
        """Ask TPE `n` times; the seed comes from `rng`, itself from (search seed, number)."""
        import optuna

        level = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            with warnings.catch_warnings():
                # multivariate/group are flagged experimental; they are what conditions need.
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                study = self._study(space, history, int(rng.integers(2**31)), direction)
                return [_ask(study, space) for _ in range(n)]
        finally:
            optuna.logging.set_verbosity(level)

    def _study(
        self, space: SearchSpace, history: History, seed: int, direction: str
    ) -> optuna.Study:
        import optuna

        sampler = optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=self.n_startup,
            multivariate=True,
            group=space.conditional,
            constant_liar=False,
        )
        study = optuna.create_study(direction=direction, sampler=sampler)
        study.add_trials([_frozen(space, p, v) for p, v in valid_history(space, history)])
        return study


def distribution(p: FloatParam | IntParam | CategoricalParam) -> Any:
    """The Optuna distribution of a parameter (same bounds, scale and step)."""
    from optuna import distributions as d

    if isinstance(p, FloatParam):
        return d.FloatDistribution(p.low, p.high, log=p.log, step=p.step)
    if isinstance(p, IntParam):
        return d.IntDistribution(p.low, p.high, log=p.log, step=p.step)
    return d.CategoricalDistribution(p.choices)


def _frozen(space: SearchSpace, params: Params, value: float | None) -> Any:
    import optuna

    dims = {k: v for k, v in params.items() if not isinstance(space.params[k], FixedParam)}
    ok = value is not None and np.isfinite(value)
    return optuna.trial.create_trial(
        params=dims,
        distributions={k: distribution(space.params[k]) for k in dims},  # type: ignore[arg-type]
        value=float(value) if ok else None,  # type: ignore[arg-type]
        state=optuna.trial.TrialState.COMPLETE if ok else optuna.trial.TrialState.FAIL,
    )


def _ask(study: optuna.Study, space: SearchSpace) -> Params:
    trial = study.ask()
    out: Params = {}
    for name in space.order:  # parents first, so a child's condition can be read
        p = space.params[name]
        if not space.is_active(name, out):
            continue
        if isinstance(p, FixedParam):
            out[name] = p.value
        else:
            out[name] = _suggest(trial, p)
    return {name: out[name] for name in space.params if name in out}


def _suggest(trial: optuna.Trial, p: FloatParam | IntParam | CategoricalParam) -> Any:
    if isinstance(p, FloatParam):
        return trial.suggest_float(p.name, p.low, p.high, log=p.log, step=p.step)
    if isinstance(p, IntParam):
        return trial.suggest_int(p.name, p.low, p.high, log=p.log, step=p.step)
    return trial.suggest_categorical(p.name, p.choices)
