"""Model-based sampling through Optuna's TPE, an optional extra (`hyperzoom[tpe]`).

Optuna is imported lazily, inside the calls, so the core runs without it. Each call builds an
in-memory study from the history (only the active parameters of each trial, so conditional
parameters are modelled where they exist), asks one trial, and forgets the study.

On an experiment with several metrics or bounds the store hands over a `MetricLog`: the study
then has one direction per metric and each trial its metric vector (a trial missing one is
failed), so TPE is Optuna's multi-objective TPE; bounds become Optuna's constraints (`metric -
upper`, `lower - metric`, feasible at <= 0), on one metric too. Otherwise the study is the
single-objective one it always was. NSGA-II (`app/core/nsga2.py`) builds its study here too.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.metric_log import MetricLog
from app.core.metrics import Objectives
from app.core.params import CategoricalParam, FixedParam, FloatParam, IntParam
from app.core.sampling import History, Position, check_options, number_option, valid_history
from app.core.space import Params, SearchSpace

if TYPE_CHECKING:
    import optuna

# Where Optuna keeps a trial's constraint values (a list, read by Optuna 4 and 5 alike).
CONSTRAINTS = "constraints"


class StudySampler:
    """A sampler that rebuilds an in-memory Optuna study from the history at every ask and
    asks it; subclasses say which study (`study`). The seed comes from `rng`, itself from
    (search seed, trial number), so the same history gives the same points in any process."""

    name = "study"
    needs_history = True

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
        """Ask the study `n` times."""
        with quiet_optuna():
            study = self.study(space, history, int(rng.integers(2**31)), direction)
            return [ask(study, space) for _ in range(n)]

    def study(
        self, space: SearchSpace, history: History, seed: int, direction: str
    ) -> optuna.Study:
        """The in-memory study to ask from, holding the history (inside `quiet_optuna`)."""
        raise NotImplementedError


class TpeSampler(StudySampler):
    """Optuna's TPESampler (multivariate, grouped for conditional spaces) on our history.

    Args (options):
        n_startup_trials: random trials before the model takes over (default 10).
    """

    name = "tpe"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        check_options(self.name, options, {"n_startup_trials"})
        self.n_startup = int(
            number_option(options, "n_startup_trials", 10, 0, 10_000, integer=True)
        )

    def study(
        self, space: SearchSpace, history: History, seed: int, direction: str
    ) -> optuna.Study:
        """The in-memory study TPE asks from, holding the history (inside `quiet_optuna`)."""
        import optuna

        sampler = optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=self.n_startup,
            multivariate=True,
            group=space.conditional,
            constant_liar=False,
            **constraint_args(history),
        )
        study = new_study(history, direction, sampler)
        study.add_trials(frozen_trials(space, history))
        return study


@contextmanager
def quiet_optuna() -> Iterator[None]:
    """Optuna's info logs off, and the warnings our use sets off: multivariate/group are
    experimental (they are what conditions need) and `constraints_func` deprecated in 5 (Optuna
    4 needs it to read the constraints a trial carries)."""
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            warnings.filterwarnings("ignore", ".*constraints_func", FutureWarning)
            yield
    finally:
        optuna.logging.set_verbosity(level)


def objectives_of(history: History) -> Objectives | None:
    """The declared metrics the history carries (None: it carries the value alone)."""
    return history.objectives if isinstance(history, MetricLog) else None


def constraint_args(history: History) -> dict[str, Any]:
    """`constraints_func` for an Optuna sampler when the history has bounds, else nothing."""
    objectives = objectives_of(history)
    return {"constraints_func": _carried} if objectives and objectives.constrained else {}


def _carried(trial: optuna.trial.FrozenTrial) -> Sequence[float]:
    """The constraints a trial already carries: Optuna calls this after a trial is told, and
    these studies are never told; every trial arrives with its constraints set."""
    return trial.system_attrs[CONSTRAINTS]


def new_study(history: History, direction: str, sampler: Any) -> optuna.Study:
    """An in-memory study: one direction per declared metric, else the search's direction."""
    import optuna

    objectives = objectives_of(history)
    if objectives is None:
        return optuna.create_study(direction=direction, sampler=sampler)
    return optuna.create_study(directions=list(objectives.directions), sampler=sampler)


def frozen_trials(space: SearchSpace, history: History) -> list[optuna.trial.FrozenTrial]:
    """The history's trials as Optuna's, in order: complete with their value, or with their
    metric vector and constraints when the history carries metrics; failed otherwise."""
    objectives = objectives_of(history)
    if objectives is None:
        return [_frozen(space, p, v) for p, v in valid_history(space, history)]
    assert isinstance(history, MetricLog)
    return [
        _frozen_metrics(space, params, vector, objectives)
        for (params, _), vector in zip(history, history.vectors(), strict=True)
        if space.contains(params)
    ]


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


def _frozen_metrics(
    space: SearchSpace, params: Params, vector: np.ndarray, objectives: Objectives
) -> Any:
    """A trial with every declared metric: failed when one is missing (NaN) or infinite."""
    import optuna

    dims = {k: v for k, v in params.items() if not isinstance(space.params[k], FixedParam)}
    ok = bool(np.isfinite(vector).all())
    attrs = {CONSTRAINTS: objectives.violations(vector)} if ok and objectives.constrained else {}
    return optuna.trial.create_trial(
        params=dims,
        distributions={k: distribution(space.params[k]) for k in dims},  # type: ignore[arg-type]
        values=[float(v) for v in vector] if ok else None,
        state=optuna.trial.TrialState.COMPLETE if ok else optuna.trial.TrialState.FAIL,
        system_attrs=attrs,
    )


def ask(study: optuna.Study, space: SearchSpace) -> Params:
    """One configuration of `space` from the study's sampler (parents before children)."""
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
