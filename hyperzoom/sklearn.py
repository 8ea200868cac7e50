"""scikit-learn's search interface on a Hyperzoom search: `HyperzoomSearchCV` is used like
`RandomizedSearchCV` (fit, best_params_, best_score_, cv_results_, best_estimator_, predict),
and every candidate is a trial the page shows, so a box drawn there (or `refine`) continues it.

    from hyperzoom.sklearn import HyperzoomSearchCV

    search = HyperzoomSearchCV(LogisticRegression(max_iter=1000),
                               {"C": {"type": "float", "low": 1e-3, "high": 1e3, "log": True}},
                               n_trials=20, cv=5, db="sqlite:///runs.db").fit(X, y)
    finer = search.refine({"C": [0.1, 10.0]}, n_trials=10)
"""

from __future__ import annotations

import numbers
import os
import time
import warnings
from copy import deepcopy
from typing import Any

import numpy as np
from numpy.ma import MaskedArray
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, cross_validate
from sklearn.utils import check_random_state
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from hyperzoom.search import Search, TrialRecord, create_search

__all__ = ["HyperzoomSearchCV"]
_FINISHED = ("complete", "failed")
_SEED_LIMIT = 2**31 - 1  # the API's seeds are below 2**31


def _has(attr: str) -> Any:
    """Delegate `attr` to the best estimator, or, before fit, to the estimator (as
    BaseSearchCV: `hasattr` works on an unfitted search; refit=False has none)."""

    def check(self: HyperzoomSearchCV) -> bool:
        if not self.refit:
            raise AttributeError(f"{attr} is available only with refit=True")
        getattr(getattr(self, "best_estimator_", self.estimator), attr)
        return True

    return check


class HyperzoomSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Cross-validated search over a Hyperzoom space, one trial per candidate.

    Parameters are RandomizedSearchCV's where they share a name. `space` is the REST API's
    JSON (`{"C": {"type": "float", "low": 1e-3, "high": 1e3, "log": true}}`; names as in
    `estimator.set_params`, `clf__C` in a pipeline; values are JSON scalars). The search
    maximizes the mean cross-validated score (sklearn's scores are greater-is-better); with
    several scorers, `refit` names the one to maximize (a callable refit is not supported).
    `sampler` is any of the API's (random, zoom, tpe, sobol, ...), `random_state` its seed.
    Candidates run in this process (`n_jobs` threads); `verbose` > 0 shows a progress bar.
    Where: `db` or `server` (+ `token`), as `hyperzoom.create_search`; each `fit` creates an
    experiment named `name`.

    Attributes after fit: cv_results_, best_index_, best_score_, best_params_,
    best_estimator_ and refit_time_ (refit=True), scorer_, n_splits_, multimetric_, and
    search_ (the `hyperzoom.Search`, with its `url` and `id`).

    Failures: a candidate whose cross-validation raises is a failed trial with the traceback.
    error_score="raise" stops the search there and raises it; NaN (the default) goes on, the
    candidate's scores NaN in cv_results_ and a FitFailedWarning at the end (a ValueError if
    every candidate failed); a number scores the failed folds with it, as cross_validate does.
    Unlike RandomizedSearchCV, folds run one after another within a candidate.
    """

    def __init__(
        self,
        estimator: Any,
        space: dict[str, Any],
        *,
        n_trials: int = 10,
        sampler: str = "random",
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: bool | str = True,
        cv: Any = None,
        verbose: int = 0,
        random_state: Any = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        name: str | None = None,
        db: str | None = None,
        server: str | None = None,
        token: str | None = None,
    ) -> None:
        self.estimator = estimator
        self.space = space
        self.n_trials = n_trials
        self.sampler = sampler
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.name = name
        self.db = db
        self.server = server
        self.token = token

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        tags.target_tags = deepcopy(inner.target_tags)  # multi-output if the estimator is
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags

    def fit(self, X: Any, y: Any = None, **params: Any) -> HyperzoomSearchCV:
        """Create a search, evaluate `n_trials` candidates by cross-validation (each a trial),
        then refit the best on all of X. `groups` goes to the splitter, other params to
        `estimator.fit`."""
        self._names()  # refuse a bad scoring/refit before creating anything
        if y is None and get_tags(self.estimator).target_tags.required:
            name = type(self.estimator).__name__
            raise ValueError(f"{name} requires y to be passed, but the target y is None")
        search = create_search(
            name=self.name or f"HyperzoomSearchCV({type(self.estimator).__name__})",
            space=self.space,
            direction="maximize",
            sampler=self.sampler,
            n_trials=self.n_trials,
            seed=self._seed(),
            db=self.db,
            server=self.server,
            token=self.token,
        )
        return self._fit_on(search, X, y, params)

    def refine(
        self,
        region: dict[str, list[Any]],
        X: Any = None,
        y: Any = None,
        *,
        n_trials: int | None = None,
        sampler: str | None = None,
        **params: Any,
    ) -> HyperzoomSearchCV:
        """A new fitted search over a box of this one's space (a child search, as a box drawn on
        the page): `{"C": [0.1, 10.0]}`. On the data of the last fit unless X (and y) are given;
        `n_trials` and `sampler` default to this search's."""
        check_is_fitted(self, "search_")
        if X is None:
            X, y, params = self._data
        settings = {"n_trials": n_trials or self.n_trials, "sampler": sampler or self.sampler}
        child = self.search_.refine(region, **settings)
        return clone(self).set_params(**settings)._fit_on(child, X, y, params)

    def _fit_on(self, search: Search, X: Any, y: Any, params: dict[str, Any]) -> Any:
        names, refit_name = self._names()
        params = dict(params)
        groups = params.pop("groups", None)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))  # the same folds for every candidate
        parts = ("test", "train") if self.return_train_score else ("test",)

        # A fold that raises gives a NaN mean, which fails the trial anyway: let it raise, so
        # the trial keeps the real traceback. A number as error_score scores failed folds.
        numeric = isinstance(self.error_score, numbers.Real) and not np.isnan(self.error_score)

        def evaluate(candidate: dict[str, Any]) -> dict[str, float]:
            found = cross_validate(
                clone(self.estimator).set_params(**candidate),
                X,
                y,
                cv=splits,
                scoring=self.scoring,
                params=params or None,
                return_train_score=self.return_train_score,
                error_score=self.error_score if numeric else "raise",
            )
            metrics = _summaries(found, names, parts)
            return {"value": metrics[f"mean_test_{refit_name}"], **metrics}

        self.search_ = search  # set first: an interrupted fit still says where its trials are
        jobs = self.n_jobs or 1
        search.optimize(
            evaluate,
            n_jobs=(os.cpu_count() or 1) if jobs < 0 else jobs,
            show_progress=self.verbose > 0,
            catch=() if self.error_score == "raise" else (Exception,),
        )
        trials = [t for t in search.trials if t.state in _FINISHED]
        _check_failures(trials)
        self.n_splits_ = len(splits)
        self.multimetric_ = len(names) > 1 or not _single(self.scoring)
        self.scorer_ = self._scorers(names)
        self.cv_results_ = _results(trials, names, parts, len(splits))
        self._data = (X, y, {**params, **({"groups": groups} if groups is not None else {})})
        if self.refit or not self.multimetric_:
            self.best_index_ = int(np.argmin(self.cv_results_[f"rank_test_{refit_name}"]))
            self.best_score_ = float(self.cv_results_[f"mean_test_{refit_name}"][self.best_index_])
            self.best_params_ = self.cv_results_["params"][self.best_index_]
        if self.refit:
            started = time.perf_counter()
            best = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_ = best.fit(X, y, **params)
            self.refit_time_ = time.perf_counter() - started
        return self

    def _names(self) -> tuple[list[str], str]:
        """The scorers' names ("score" for one) and the one the search maximizes."""
        if _single(self.scoring):
            if not isinstance(self.refit, bool):
                raise ValueError("with one scorer, refit is True or False")
            return ["score"], "score"
        names = list(self.scoring)
        if not names:
            raise ValueError("scoring lists no scorer")
        if not isinstance(self.refit, str) or self.refit not in names:
            raise ValueError(
                f"with several scorers, refit names the one the search maximizes, one of "
                f"{names}; got {self.refit!r}"
            )
        return names, self.refit

    def _scorers(self, names: list[str]) -> Any:
        if _single(self.scoring):
            return check_scoring(self.estimator, self.scoring)
        given = self.scoring if isinstance(self.scoring, dict) else {n: n for n in names}
        return {n: check_scoring(self.estimator, given[n]) for n in names}

    def _seed(self) -> int | None:
        if self.random_state is None or isinstance(self.random_state, numbers.Integral):
            return None if self.random_state is None else int(self.random_state) % _SEED_LIMIT
        return int(check_random_state(self.random_state).randint(_SEED_LIMIT))

    def __getstate__(self) -> dict[str, Any]:
        """Pickles leave out the data of the last fit (kept only for `refine`) and the
        connection (`search_`: reopen it with `hyperzoom.open_search(id)`)."""
        state = dict(super().__getstate__())
        state.pop("_data", None)
        search = state.pop("search_", None)
        if search is not None:
            state["search_id_"] = search.id
        return state

    def score(self, X: Any, y: Any = None) -> float:
        """The refit estimator's score on X by `scoring` (the one refit names)."""
        check_is_fitted(self, "best_estimator_")
        scorer = self.scorer_[self.refit] if self.multimetric_ else self.scorer_
        return scorer(self.best_estimator_, X, y)

    @available_if(_has("predict"))
    def predict(self, X: Any) -> Any:
        """The best estimator's predict."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """The best estimator's predict_proba."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """The best estimator's predict_log_proba."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """The best estimator's decision_function."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.decision_function(X)

    @available_if(_has("score_samples"))
    def score_samples(self, X: Any) -> Any:
        """The best estimator's score_samples."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.score_samples(X)

    @available_if(_has("transform"))
    def transform(self, X: Any) -> Any:
        """The best estimator's transform."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.transform(X)

    @available_if(_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """The best estimator's inverse_transform."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.inverse_transform(X)

    @property
    def classes_(self) -> Any:
        """The best estimator's classes (refit=True, a classifier)."""
        _has("classes_")(self)
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self) -> int:
        """Features seen by the refit estimator."""
        if not hasattr(self, "best_estimator_"):
            raise AttributeError(f"{type(self).__name__} has no n_features_in_ before fit")
        return self.best_estimator_.n_features_in_


def _check_failures(trials: list[TrialRecord]) -> None:
    """Every candidate failed: raise, with the first one's reason (as BaseSearchCV does when
    all fits failed); some failed: warn, as it does."""
    failed = [t for t in trials if t.state == "failed"]
    if not failed:
        return
    first = failed[0]
    reason = (first.error or "no reason given").strip()
    summary = f"{len(failed)} of {len(trials)} candidates failed"
    if len(failed) == len(trials):
        raise ValueError(f"{summary}; the first, trial {first.number}, with:\n{reason}")
    warnings.warn(
        f"{summary}; their scores are NaN in cv_results_ (the trials keep the tracebacks); "
        f"the first: {reason.splitlines()[-1] if reason else reason}",
        FitFailedWarning,
        stacklevel=3,
    )


def _single(scoring: Any) -> bool:
    """One scorer: None (the estimator's score), a name or a callable."""
    return scoring is None or isinstance(scoring, str) or callable(scoring)


def _summaries(
    found: dict[str, Any], names: list[str], parts: tuple[str, ...]
) -> dict[str, float]:
    """One candidate's cross_validate answer as cv_results_ columns (its trial's metrics)."""
    metrics: dict[str, float] = {}
    for timing in ("fit_time", "score_time"):
        metrics[f"mean_{timing}"] = float(np.mean(found[timing]))
        metrics[f"std_{timing}"] = float(np.std(found[timing]))
    for part in parts:
        for name in names:
            scores = np.asarray(found[f"{part}_{name}"], dtype=float)
            for i, score in enumerate(scores):
                metrics[f"split{i}_{part}_{name}"] = float(score)
            metrics[f"mean_{part}_{name}"] = float(np.mean(scores))
            metrics[f"std_{part}_{name}"] = float(np.std(scores))
    return metrics


def _results(
    trials: list[TrialRecord], names: list[str], parts: tuple[str, ...], n_splits: int
) -> dict[str, Any]:
    """cv_results_ from the search's finished trials, in trial order, keys in sklearn's
    order; a failed trial's scores are NaN and rank last."""

    def column(key: str) -> np.ndarray:
        values = [(t.metrics or {}).get(key) if t.state == "complete" else None for t in trials]
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    results: dict[str, Any] = {}
    for timing in ("fit_time", "score_time"):
        results[f"mean_{timing}"] = column(f"mean_{timing}")
        results[f"std_{timing}"] = column(f"std_{timing}")
    results.update(_param_columns([t.params for t in trials]))
    results["params"] = [t.params for t in trials]
    for name in names:
        for part in parts:
            for i in range(n_splits):
                results[f"split{i}_{part}_{name}"] = column(f"split{i}_{part}_{name}")
            results[f"mean_{part}_{name}"] = column(f"mean_{part}_{name}")
            results[f"std_{part}_{name}"] = column(f"std_{part}_{name}")
            if part == "test":
                results[f"rank_test_{name}"] = _rank(results[f"mean_test_{name}"])
    return results


def _param_columns(candidates: list[dict[str, Any]]) -> dict[str, MaskedArray]:
    """`param_NAME` columns, masked where a candidate lacks the parameter (a condition), typed
    as sklearn types them (numbers as numbers, text as objects)."""
    names = list(dict.fromkeys(name for c in candidates for name in c))
    columns = {}
    for name in names:
        given = {i: c[name] for i, c in enumerate(candidates) if name in c}
        found = np.array(list(given.values()))
        dtype = found.dtype if found.dtype.kind not in "UO" and found.ndim == 1 else object
        column = MaskedArray(np.empty(len(candidates), dtype=dtype), mask=True)
        for i, value in given.items():
            column[i] = value
        columns[f"param_{name}"] = column
    return columns


def _rank(means: np.ndarray) -> np.ndarray:
    """Rank 1 for the best mean; NaN (failed) ranks last, as in BaseSearchCV."""
    if np.isnan(means).all():
        return np.ones_like(means, dtype=np.int32)
    filled = np.nan_to_num(means, nan=np.nanmin(means) - 1)
    return rankdata(-filled, method="min").astype(np.int32)
