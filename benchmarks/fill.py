"""Bulk-fill a Hyperzoom database and an Optuna database with the same finished trials.

Going through the worker protocol would take hours for a million trials, so the rows are
written straight into each schema with SQLAlchemy Core `executemany`, in the shape each tool
writes them itself: ours a `trials` row with JSON params (and the search's counters and
tallies set to match); Optuna's a `trials` row plus one `trial_params` row per parameter and
one `trial_values` row. Both get the same configurations and values, drawn from one seeded
generator.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, insert, select, update

from app.core.space import SearchSpace
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.experiments import create_experiment
from app.store.migrate import upgrade
from app.store.models import Direction, Experiment, Search, Trial, TrialState
from app.store.searches import SearchSettings
from app.store.tallies import recount

# Four parameters of the usual kinds: a log-scale rate, a plain float, a log-scale integer
# and a categorical.
SPACE: dict[str, Any] = {
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "units": {"type": "int", "low": 8, "high": 256, "log": True},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}
CHUNK = 50_000
_START = datetime(2026, 1, 1, tzinfo=UTC)


def value_of(params: dict[str, Any]) -> float:
    """A cheap objective over SPACE (the bowl, with the other parameters as small terms)."""
    return (
        (math.log10(params["lr"]) + 3.0) ** 2
        + (params["x"] - 0.3) ** 2
        + 0.01 * math.log2(params["units"] / 64) ** 2
        + (0.05 if params["solver"] == "sgd" else 0.0)
    )


def draw(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    """`n` random configurations of SPACE."""
    lr = 10 ** rng.uniform(-5, 0, n)
    x = rng.uniform(0, 1, n)
    units = np.round(2 ** rng.uniform(3, 8, n)).astype(int)
    solver = rng.integers(0, 2, n)
    return [
        {"lr": float(a), "x": float(b), "units": int(c), "solver": ("sgd", "adam")[int(d)]}
        for a, b, c, d in zip(lr, x, units, solver, strict=True)
    ]


def chunks(start: int, stop: int) -> Iterator[tuple[int, int]]:
    """[start, stop) in pieces of CHUNK."""
    for low in range(start, stop, CHUNK):
        yield low, min(low + CHUNK, stop)


def timestamps(number: int) -> tuple[datetime, datetime]:
    """Start and finish of trial `number`: one a second, each lasting 0.25 s."""
    started = _START + timedelta(seconds=number)
    return started, started + timedelta(milliseconds=250)


@dataclass
class Ours:
    """A Hyperzoom database holding one experiment with one search (random unless told)."""

    url: str
    engine: Engine
    experiment_id: int
    search_id: int

    @classmethod
    def create(
        cls, path: str, budget: int, sampler: str = "random", options: dict[str, Any] | None = None
    ) -> Ours:
        """Migrate a new database at `path` and create the experiment (budget `budget`)."""
        url = f"sqlite:///{path}"
        upgrade(url)
        engine = make_engine(url)
        with session_scope(make_sessionmaker(engine)) as session:
            experiment, search = create_experiment(
                session,
                name="scale",
                objective="bowl",
                direction=Direction.MINIMIZE,
                space=SearchSpace.from_dict(SPACE),
                settings=SearchSettings(n_trials=budget, sampler=sampler, options=options, seed=1),
            )
            ids = experiment.id, search.id
        return cls(url, engine, *ids)

    @classmethod
    def open_or_create(
        cls, path: str, budget: int, sampler: str = "random", options: dict[str, Any] | None = None
    ) -> Ours:
        """The database at `path` made by `create`, or a new one."""
        if not Path(path).exists():
            return cls.create(path, budget, sampler, options)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        with engine.connect() as conn:
            experiment_id, search_id = conn.execute(
                select(Search.experiment_id, Search.id).order_by(Search.id).limit(1)
            ).one()
        return cls(url, engine, experiment_id, search_id)

    def count(self) -> int:
        """Trials asked so far."""
        with self.engine.connect() as conn:
            return conn.scalar(select(Search.n_asked).where(Search.id == self.search_id)) or 0

    def fill(self, stop: int, rng: np.random.Generator) -> None:
        """Add finished trials until the search holds `stop` trials."""
        start = self.count()
        for low, high in chunks(start, stop):
            rows = []
            for number, params in zip(range(low, high), draw(rng, high - low), strict=True):
                started, finished = timestamps(number)
                rows.append(
                    {
                        "experiment_id": self.experiment_id,
                        "search_id": self.search_id,
                        "number": number,
                        "state": TrialState.COMPLETE,
                        "params": params,
                        "value": value_of(params),
                        "worker": "fill",
                        "attempt": 0,
                        "lost": 0,
                        "seq": number + 1,
                        "started_at": started,
                        "heartbeat_at": finished,
                        "finished_at": finished,
                    }
                )
            with self.engine.begin() as conn:
                conn.execute(insert(Trial), rows)
                conn.execute(
                    update(Search)
                    .where(Search.id == self.search_id)
                    .values(n_asked=high, n_finished=high, status="running")
                )
                # The tallies a poll reads, as ask and tell would have kept them.
                conn.execute(recount().where(Search.id == self.search_id))
                conn.execute(
                    update(Experiment).where(Experiment.id == self.experiment_id).values(seq=high)
                )


@dataclass
class TheirOptuna:
    """An Optuna RDB database on SQLite holding one study."""

    url: str
    engine: Engine
    study_id: int

    @classmethod
    def create(cls, path: str) -> TheirOptuna:
        """Create Optuna's schema at `path` (through Optuna itself) and one minimizing study."""
        import optuna

        url = f"sqlite:///{path}"
        study = optuna.create_study(storage=url, study_name="scale", direction="minimize")
        return cls(url, make_engine(url), study._study_id)

    @classmethod
    def open_or_create(cls, path: str) -> TheirOptuna:
        """The study at `path` made by `create`, or a new one."""
        if not Path(path).exists():
            return cls.create(path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        with engine.connect() as conn:
            study_id = conn.exec_driver_sql("SELECT min(study_id) FROM studies").scalar_one()
        return cls(url, engine, study_id)

    def count(self) -> int:
        """Trials in the study."""
        from optuna.storages._rdb.models import TrialModel

        trials = TrialModel.__table__
        with self.engine.connect() as conn:
            return conn.scalar(
                select(func.coalesce(func.max(trials.c.number) + 1, 0)).where(
                    trials.c.study_id == self.study_id
                )
            )

    def fill(self, stop: int, rng: np.random.Generator) -> None:
        """Add finished trials until the study holds `stop` trials, as Optuna writes them."""
        from optuna.distributions import distribution_to_json
        from optuna.storages._rdb import models
        from optuna.trial import TrialState as OptunaState

        distributions = optuna_distributions()
        as_json = {name: distribution_to_json(d) for name, d in distributions.items()}
        trial_table = models.TrialModel.__table__
        with self.engine.connect() as conn:
            next_id = conn.scalar(select(func.coalesce(func.max(trial_table.c.trial_id), 0))) + 1
        start = self.count()
        for low, high in chunks(start, stop):
            trials, params, values = [], [], []
            for offset, config in enumerate(draw(rng, high - low)):
                number, trial_id = low + offset, next_id + low - start + offset
                started, finished = timestamps(number)
                trials.append(
                    {
                        "trial_id": trial_id,
                        "number": number,
                        "study_id": self.study_id,
                        "state": OptunaState.COMPLETE,
                        "datetime_start": started.replace(tzinfo=None),
                        "datetime_complete": finished.replace(tzinfo=None),
                    }
                )
                for name, d in distributions.items():
                    params.append(
                        {
                            "trial_id": trial_id,
                            "param_name": name,
                            "param_value": d.to_internal_repr(config[name]),
                            "distribution_json": as_json[name],
                        }
                    )
                values.append(
                    {
                        "trial_id": trial_id,
                        "objective": 0,
                        "value": value_of(config),
                        "value_type": models.TrialValueModel.TrialValueType.FINITE,
                    }
                )
            with self.engine.begin() as conn:
                conn.execute(insert(trial_table), trials)
                conn.execute(insert(models.TrialParamModel.__table__), params)
                conn.execute(insert(models.TrialValueModel.__table__), values)


def optuna_distributions() -> dict[str, Any]:
    """SPACE as Optuna distributions."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    return {
        "lr": FloatDistribution(1e-5, 1.0, log=True),
        "x": FloatDistribution(0.0, 1.0),
        "units": IntDistribution(8, 256, log=True),
        "solver": CategoricalDistribution(["sgd", "adam"]),
    }


def suggest_optuna(trial: Any) -> dict[str, Any]:
    """Sample SPACE on an Optuna trial, the way an Optuna user's objective would."""
    return {
        "lr": trial.suggest_float("lr", 1e-5, 1.0, log=True),
        "x": trial.suggest_float("x", 0.0, 1.0),
        "units": trial.suggest_int("units", 8, 256, log=True),
        "solver": trial.suggest_categorical("solver", ["sgd", "adam"]),
    }


# Zoom's exploration is a share of the budget (init_fraction, at least 0.01): a budget that
# the sizes reach keeps it small, so the asks timed are the trust region's, not Sobol's.
ZOOM_BUDGET, ZOOM_OPTIONS = 20_000, {"init_fraction": 0.01}


def open_pair(
    workdir: Path | None, prefix: str, with_optuna: bool, sampler: str = "random"
) -> tuple[Ours, TheirOptuna | None]:
    """Both big studies in `workdir` (a new temporary directory when None), reused if there;
    ours asks with `sampler` (random or zoom), the history filled is the same random one."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix=prefix))
    workdir.mkdir(parents=True, exist_ok=True)
    if sampler == "zoom":
        path = str(workdir / "ours-zoom.db")
        ours = Ours.open_or_create(path, ZOOM_BUDGET, "zoom", ZOOM_OPTIONS)
    else:
        ours = Ours.open_or_create(str(workdir / "ours.db"), budget=10**8)
    theirs = TheirOptuna.open_or_create(str(workdir / "optuna.db")) if with_optuna else None
    return ours, theirs
