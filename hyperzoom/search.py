"""A search from Python: create or open one, run its trials on a function, read the best,
refine it into a box. Every call goes through the REST API (`hyperzoom.connection`), so a
search made here is an ordinary one: the page shows it live, workers and the CLI can use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hyperzoom.connection import Connection, connect

# The objective of experiments made from Python. Workers ask for the objectives they can run
# by name (built-ins, `module:function` targets, hyperzoom.toml names); none is called this,
# so only `optimize`, which asks for one search's trials, ever takes them.
PYTHON_OBJECTIVE = "python"
_DESCRIPTION = "Trials run by a Python function through hyperzoom's optimize (no worker)"
# Past this many trials on a front, `pareto` reads the subtree's trials search by search.
_FRONT_BY_ID = 200


@dataclass(frozen=True)
class TrialRecord:
    """One trial as the API reads it (GET /api/searches/{id}/trials)."""

    id: int
    search_id: int
    number: int
    state: str  # waiting, running, complete, failed, pruned
    params: dict[str, Any]
    value: float | None
    metrics: dict[str, Any] | None
    error: str | None
    attempt: int
    worker: str | None
    started_at: str | None
    finished_at: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> TrialRecord:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


class Search:
    """A search: one round of sampling with a budget of trials, in an experiment.

    `optimize(fn)` runs its trials here; `best`, `trials` and `url` read it; `refine(region)`
    starts a child search over a box of its space. Made by `create_search` or `open_search`.
    """

    def __init__(
        self, connection: Connection, search: dict[str, Any], experiment: dict[str, Any]
    ) -> None:
        self.connection = connection
        self.id: int = search["id"]
        self.experiment_id: int = search["experiment_id"]
        self.parent_id: int | None = search["parent_id"]
        self.name: str = experiment["name"]
        self.objective: str = experiment["objective"]
        self.direction: str = experiment["direction"]

    def __repr__(self) -> str:
        return (
            f"<Search {self.id} of experiment {self.experiment_id} ({self.name!r}) "
            f"on {self.connection.where}>"
        )

    @property
    def url(self) -> str | None:
        """The experiment's page with this search selected; None on a database (serve it with
        `hyperzoom serve --db URL` and open /experiments/{experiment_id})."""
        return self.connection.page(self.experiment_id, self.id)

    def info(self) -> dict[str, Any]:
        """The search as the API reads it now: status, budget, counts per state, best value,
        space, region, sampler, pruner."""
        return self.connection.get(f"/api/searches/{self.id}")

    @property
    def best(self) -> dict[str, Any] | None:
        """The best complete trial: `{"params", "value", "number", "trial_id"}`; None before
        one completes. Ties go to the earliest trial."""
        value = self.info()["best_value"]
        if value is None:
            return None
        rows = self.connection.get(
            f"/api/searches/{self.id}/trials", state="complete", value_min=value, value_max=value
        )
        trial = min(rows, key=lambda t: t["number"])
        return {
            "params": trial["params"],
            "value": trial["value"],
            "number": trial["number"],
            "trial_id": trial["id"],
        }

    @property
    def trials(self) -> list[TrialRecord]:
        """Every trial of this search (any state), by number."""
        rows = self.connection.get(f"/api/searches/{self.id}/trials")
        return sorted((TrialRecord.from_api(t) for t in rows), key=lambda t: t.number)

    def pareto(self) -> list[TrialRecord]:
        """The non-dominated feasible trials of this search and its refinements over the
        experiment's declared metrics (GET /api/experiments/{id}/pareto?search=), by id."""
        where = f"/api/experiments/{self.experiment_id}"
        wanted = sorted(self.connection.get(f"{where}/pareto", search=self.id)["trial_ids"])
        if len(wanted) <= _FRONT_BY_ID:  # the usual front: a read per trial on it
            return [TrialRecord.from_api(self.connection.get(f"/api/trials/{i}")) for i in wanted]
        # A wide front: the complete trials of the subtree, a read per search, not per trial.
        keep = set(wanted)
        rows = [
            t
            for search_id in _subtree(self.connection.get(f"{where}/tree"), self.id)
            for t in self.connection.get(f"/api/searches/{search_id}/trials", state="complete")
            if t["id"] in keep
        ]
        return sorted((TrialRecord.from_api(t) for t in rows), key=lambda t: t.id)

    def optimize(
        self,
        fn: Callable[..., Any],
        n_trials: int | None = None,
        n_jobs: int = 1,
        timeout: float | None = None,
        show_progress: bool = True,
        metric: str | None = None,
        catch: tuple[type[Exception], ...] = (Exception,),
    ) -> int:
        """Run this search's trials on `fn` in this process; the number of trials run.

        `fn(params)` or `fn(params, trial)` returns a number, or a dict of metrics holding
        `"value"` (or `metric`); `trial.report(step, value)` records a learning-curve point
        and returns True when the search's pruner says stop (then return, or raise
        `hyperzoom.TrialPruned`). It is the worker protocol: trials are asked for one at a
        time (this search's only), kept alive by heartbeats, and told; they appear live on the
        page like any worker's.

        - Stops after `n_trials` trials (default: until the search's budget is spent or
          nothing is left to ask for), or, between trials, once `timeout` seconds passed.
        - A function that raises records its trial as failed with the traceback, and the
          search goes on (the log says why; so do the trial's `error` and the page). Only
          exceptions in `catch` go on: pass `catch=()` to stop at the first one, which is
          then raised (its trial still recorded as failed). Ctrl-C (KeyboardInterrupt) and
          SystemExit are never caught.
        - Ctrl-C gives the running trial back (it waits again, same number and params, for
          the next `optimize` or worker; no retry is used up) and raises KeyboardInterrupt.
        - `n_jobs` > 1 runs that many threads in this process: good for functions that
          release the GIL (numpy, scikit-learn, PyTorch). For processes, call
          `open_search(id, ...).optimize(fn)` in each (through multiprocessing, `fn` must be
          picklable: a module-level function); they share the search through the database
          or server, each taking its own trials.
        - `show_progress`: a rich progress bar on stderr (live in Jupyter with ipywidgets).
        """
        from hyperzoom.optimize import Run, run_trials
        from hyperzoom.progress import TrialsBar

        if n_jobs < 1:
            raise ValueError("n_jobs must be 1 or more")
        if n_trials is not None and n_trials < 1:
            raise ValueError("n_trials must be 1 or more (or None: the search's budget)")
        run = Run(
            self.id, self.objective, self.direction, fn, metric, n_trials, n_jobs, timeout, catch
        )
        info = self.info()
        left = info["n_trials"] - sum(info["counts"][s] for s in ("complete", "failed", "pruned"))
        total = left if n_trials is None else min(n_trials, left)
        bar = TrialsBar(f"search {self.id}", max(total, 0), self.direction, show_progress)
        return run_trials(self.connection.backend(self.id), run, bar)

    def refine(
        self,
        region: dict[str, list[Any]],
        n_trials: int | None = None,
        sampler: str | None = None,
        *,
        seed: int | None = None,
        options: dict[str, Any] | None = None,
        pruner: dict[str, Any] | None = None,
        heartbeat_timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Search:
        """A child search over `region` of this one's space, as the page's box or
        `POST /api/searches/{id}/refine`: `{"lr": [1e-3, 1e-2], "solver": ["adam"]}`, names
        left out keep this search's range. Defaults are the REST API's (30 trials, the random
        sampler, no pruner); the reaping policy is inherited."""
        body = _without_none(
            region=region,
            n_trials=n_trials,
            sampler=sampler,
            seed=seed,
            options=options,
            pruner=pruner,
            heartbeat_timeout=heartbeat_timeout,
            max_retries=max_retries,
        )
        child = self.connection.post(f"/api/searches/{self.id}/refine", body)
        return _search(self.connection, child)

    def enqueue(self, params: dict[str, Any]) -> TrialRecord:
        """Add a hand-picked configuration as a waiting trial (it spends budget); the next
        `optimize` or worker runs it first."""
        return TrialRecord.from_api(
            self.connection.post(f"/api/searches/{self.id}/trials", params)
        )


def create_search(
    name: str,
    space: dict[str, Any],
    *,
    direction: str = "minimize",
    metrics: list[dict[str, Any]] | None = None,
    sampler: str | None = None,
    n_trials: int | None = None,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    pruner: dict[str, Any] | None = None,
    heartbeat_timeout: float | None = None,
    max_retries: int | None = None,
    db: str | None = None,
    server: str | None = None,
    token: str | None = None,
) -> Search:
    """Create an experiment named `name` and its first search; return the search.

    `space` is the REST API's JSON (`{"lr": {"type": "float", "low": 1e-5, "high": 1,
    "log": true}}`), and sampler, n_trials, seed, options and pruner (`{"type": "median"}` or
    `{"type": "asha"}`) are its search fields, with its defaults (random, 60 trials, a fresh
    seed, no pruner). Samplers: `random`, `grid`, `sobol`, `halton`, `lhs`, `zoom` (automatic
    coarse-to-fine), and with `hyperzoom[tpe]` Optuna's `tpe` and `nsga2`; `options` are the
    sampler's (README lists them).

    Several objectives: `metrics`, as the REST API takes them (`[{"name": "accuracy",
    "direction": "maximize"}, {"name": "seconds", "direction": "minimize", "upper": 2.0}]`);
    the function then returns a dict of them, the first is the value (its direction wins over
    `direction`), and `Search.pareto()` reads the front. A refused value raises
    HyperzoomError (a ValueError) naming it. Where: `db` (a SQLAlchemy URL, migrated on first
    use) or `server` (with `token`); neither: HYPERZOOM_SERVER, else HYPERZOOM_DATABASE_URL,
    else `sqlite:///hyperzoom.db` in the working directory, as the `hyperzoom` command.
    """
    connection = connect(db, server, token)
    announcement = {"name": PYTHON_OBJECTIVE, "direction": "minimize", "description": _DESCRIPTION}
    connection.post(
        "/api/objectives/register", {"worker": "hyperzoom-python", "objectives": [announcement]}
    )
    settings = _without_none(
        sampler=sampler,
        n_trials=n_trials,
        seed=seed,
        options=options,
        pruner=pruner,
        heartbeat_timeout=heartbeat_timeout,
        max_retries=max_retries,
    )
    body = {
        "name": name,
        "objective": PYTHON_OBJECTIVE,
        "direction": direction,
        "space": space,
        "search": settings,
    }
    if metrics is not None:
        body["metrics"] = metrics
        body["direction"] = metrics[0].get("direction", direction) if metrics else direction
    experiment = connection.post("/api/experiments", body)
    return Search(connection, experiment["searches"][0], experiment)


def open_search(
    search_id: int, *, db: str | None = None, server: str | None = None, token: str | None = None
) -> Search:
    """An existing search by id (any search, made here, on the page or by the CLI): its
    `optimize` runs its trials on a Python function, whatever the experiment's objective."""
    return _search(connect(db, server, token), {"id": search_id})


def _search(connection: Connection, search: dict[str, Any]) -> Search:
    read = connection.get(f"/api/searches/{int(search['id'])}")
    experiment = connection.get(f"/api/experiments/{read['experiment_id']}")
    return Search(connection, read, experiment)


def _subtree(tree: list[dict[str, Any]], root: int) -> list[int]:
    """The ids of `root` and the searches refined from it, in the API's tree."""
    found: list[int] = []
    stack = [(node, False) for node in tree]
    while stack:
        node, inside = stack.pop()
        inside = inside or node["search"]["id"] == root
        if inside:
            found.append(node["search"]["id"])
        stack.extend((child, inside) for child in node["children"])
    return found


def _without_none(**fields: Any) -> dict[str, Any]:
    """The fields given: what is left out takes the API's default."""
    return {name: value for name, value in fields.items() if value is not None}
