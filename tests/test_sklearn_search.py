"""HyperzoomSearchCV beside RandomizedSearchCV on the same estimator, data and folds; each
candidate a trial of a search; refine from a box; failures; sklearn's own estimator checks."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from hyperzoom.connection import close_all
from hyperzoom.sklearn import HyperzoomSearchCV

X, Y = load_iris(return_X_y=True)
C_SPACE = {"logisticregression__C": {"type": "float", "low": 1e-3, "high": 1e3, "log": True}}
FOLDS = StratifiedKFold(5, shuffle=True, random_state=0)


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    close_all()


def _model() -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def test_beside_randomized_search_cv(sqlite_db_url: str) -> None:
    ours = HyperzoomSearchCV(
        _model(), C_SPACE, n_trials=10, cv=FOLDS, random_state=0, db=sqlite_db_url
    ).fit(X, Y)
    theirs = RandomizedSearchCV(
        _model(),
        {"logisticregression__C": loguniform(1e-3, 1e3)},
        n_iter=10,
        cv=FOLDS,
        random_state=0,
    ).fit(X, Y)

    assert list(ours.cv_results_) == list(theirs.cv_results_)  # the same keys, in order
    for key, column in ours.cv_results_.items():
        assert len(column) == 10, key
    param = "param_logisticregression__C"
    assert ours.cv_results_[param].dtype == theirs.cv_results_[param].dtype
    assert abs(ours.best_score_ - theirs.best_score_) <= 0.05
    best = ours.best_index_
    assert ours.cv_results_["rank_test_score"][best] == 1
    assert (
        ours.best_score_
        == ours.cv_results_["mean_test_score"][best]
        == ours.cv_results_["mean_test_score"].max()
    )
    assert ours.best_params_ == ours.cv_results_["params"][best]
    # The same numbers sklearn computes for that candidate on the same folds.
    again = cross_val_score(_model().set_params(**ours.best_params_), X, Y, cv=FOLDS)
    assert ours.best_score_ == pytest.approx(again.mean())
    splits = [ours.cv_results_[f"split{i}_test_score"][best] for i in range(5)]
    assert splits == pytest.approx(list(again))

    # Refit on all the data with the best parameters, and delegated to.
    fitted = ours.best_estimator_
    assert (
        fitted.get_params()["logisticregression__C"] == ours.best_params_["logisticregression__C"]
    )
    assert (ours.predict(X) == fitted.predict(X)).all()
    assert ours.predict_proba(X).shape == (150, 3)
    assert ours.score(X, Y) == pytest.approx((fitted.predict(X) == Y).mean())
    assert list(ours.classes_) == [0, 1, 2] and ours.n_features_in_ == 4
    assert ours.n_splits_ == 5 and ours.refit_time_ > 0

    # Each candidate is a trial of a search the page shows, in cv_results_ order.
    trials = ours.search_.trials
    assert [t.state for t in trials] == ["complete"] * 10
    assert [t.value for t in trials] == list(ours.cv_results_["mean_test_score"])
    assert ours.search_.best["params"] == ours.best_params_
    assert ours.search_.direction == "maximize"


def test_several_scorers_and_train_scores(sqlite_db_url: str) -> None:
    settings: dict[str, Any] = {
        "scoring": ["accuracy", "f1_macro"],
        "refit": "f1_macro",
        "return_train_score": True,
        "cv": 3,
        "random_state": 1,
    }
    ours = HyperzoomSearchCV(_model(), C_SPACE, n_trials=3, n_jobs=2, db=sqlite_db_url, **settings)
    theirs = RandomizedSearchCV(
        _model(), {"logisticregression__C": loguniform(1e-3, 1e3)}, n_iter=3, **settings
    )
    ours.fit(X, Y)
    theirs.fit(X, Y)
    assert list(ours.cv_results_) == list(theirs.cv_results_)
    assert ours.multimetric_ and set(ours.scorer_) == {"accuracy", "f1_macro"}
    assert ours.best_score_ == ours.cv_results_["mean_test_f1_macro"].max()
    assert ours.score(X, Y) == pytest.approx(ours.scorer_["f1_macro"](ours.best_estimator_, X, Y))
    with pytest.raises(ValueError, match="refit names the one"):
        HyperzoomSearchCV(_model(), C_SPACE, scoring=["accuracy"], db=sqlite_db_url).fit(X, Y)


def test_refine_continues_in_a_box(sqlite_db_url: str) -> None:
    coarse = HyperzoomSearchCV(
        _model(), C_SPACE, n_trials=6, cv=3, random_state=2, db=sqlite_db_url
    ).fit(X, Y)
    fine = coarse.refine({"logisticregression__C": [0.1, 10.0]}, n_trials=4, sampler="sobol")
    assert fine is not coarse and fine.search_.parent_id == coarse.search_.id
    assert fine.search_.experiment_id == coarse.search_.experiment_id
    assert fine.search_.info()["sampler"] == "sobol"
    assert (fine.n_trials, fine.sampler) == (4, "sobol")  # its parameters say what it ran
    assert len(fine.cv_results_["params"]) == 4 and len(coarse.cv_results_["params"]) == 6
    assert all(0.1 <= p["logisticregression__C"] <= 10.0 for p in fine.cv_results_["params"])
    assert (fine.predict(X) == fine.best_estimator_.predict(X)).all()
    finer = fine.refine({"logisticregression__C": [0.5, 2.0]}, X[:100], Y[:100], n_trials=2)
    assert finer.search_.parent_id == fine.search_.id and finer.best_estimator_.n_features_in_


def test_failed_candidates(sqlite_db_url: str) -> None:
    # More neighbours than a training fold holds (100 of 150 with 3 folds) fail to predict.
    space = {"n_neighbors": {"type": "int", "low": 1, "high": 200}}
    search = HyperzoomSearchCV(
        KNeighborsClassifier(), space, n_trials=8, cv=3, random_state=3, db=sqlite_db_url
    )
    with pytest.warns(FitFailedWarning, match="candidates failed"):
        search.fit(X, Y)
    ranks, means = search.cv_results_["rank_test_score"], search.cv_results_["mean_test_score"]
    failed = [t for t in search.search_.trials if t.state == "failed"]
    assert failed and all("n_neighbors" in t.error for t in failed)
    for i, params in enumerate(search.cv_results_["params"]):
        if params["n_neighbors"] > 100:
            assert np.isnan(means[i]) and ranks[i] == ranks.max()
    assert search.best_params_["n_neighbors"] <= 100

    stops = HyperzoomSearchCV(
        KNeighborsClassifier(),
        {"n_neighbors": {"type": "int", "low": 150, "high": 200}},
        n_trials=5,
        cv=3,
        error_score="raise",
        db=sqlite_db_url,
    )
    with pytest.raises(ValueError, match="n_neighbors"):
        stops.fit(X, Y)
    # The first failure is raised, its trial recorded with the reason; the rest never ran.
    [first] = stops.search_.trials
    assert first.state == "failed" and "n_neighbors" in first.error


def test_a_fitted_search_pickles_without_its_data_or_connection(sqlite_db_url: str) -> None:
    search = HyperzoomSearchCV(_model(), C_SPACE, n_trials=2, cv=3, db=sqlite_db_url).fit(X, Y)
    copy = pickle.loads(pickle.dumps(search))
    assert (copy.predict(X) == search.predict(X)).all()
    assert copy.search_id_ == search.search_.id
    assert not hasattr(copy, "_data") and not hasattr(copy, "search_")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")  # asserted below
# check_supervised_y_no_nan's y of inf: sklearn's own type_of_target casts it to int and warns
# (in check_cv, as any search's fit) before the ValueError the check expects.
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
@pytest.mark.parametrize(
    ("estimator", "space"),
    [
        (Ridge(), {"alpha": {"type": "float", "low": 0.1, "high": 10.0, "log": True}}),
        (LogisticRegression(), {"C": {"type": "float", "low": 0.1, "high": 10.0, "log": True}}),
    ],
    ids=["Ridge", "LogisticRegression"],
)
def test_sklearn_estimator_checks(estimator: Any, space: dict, sqlite_db_url: str) -> None:
    """sklearn's checks, on the settings its own tests give RandomizedSearchCV (two folds,
    error_score="raise"). Skipped by sklearn itself here: the array API check (needs
    SCIPY_ARRAY_API) and the pandas one (pandas is not installed)."""
    search = HyperzoomSearchCV(
        estimator, space, n_trials=2, cv=2, error_score="raise", db=sqlite_db_url
    )
    results = check_estimator(search, on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert not failed
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert skipped <= {"check_array_api_input", "check_classifier_data_not_an_array",
                       "check_regressor_data_not_an_array"}  # fmt: skip
