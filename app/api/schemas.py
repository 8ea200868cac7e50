"""Request and response bodies of the REST API."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Body
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)

from app.core.values import MAX_NOTE_CHARS, text_problem
from app.store.models import Direction, SearchStatus, TrialState
from app.store.searches import Reaping, SearchSettings
from app.store.trial_reads import MAX_METRIC_COLUMNS

# A JSON number (an int is fine, a string is not); ints are restored by the core.
Number = Annotated[float, Strict()]
Choice = StrictStr | StrictInt | StrictFloat | StrictBool
Seed = Annotated[int, Field(ge=0, lt=2**31, description="Makes the search reproducible.")]
NTrials = Annotated[int, Field(ge=1, le=1_000_000, description="The search's budget of trials.")]
SamplerName = Annotated[str, Field(min_length=1, max_length=32, examples=["random"])]


def _storable(text: str) -> str:
    """Refuse text no text column keeps (a NUL), where the request put it."""
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


# A note: free text, shown as text wherever it is shown; blank text stores no note.
NoteText = Annotated[str, Field(max_length=MAX_NOTE_CHARS), AfterValidator(_storable)]
NOTE_DESCRIPTION = (
    f"Free text, at most {MAX_NOTE_CHARS:,} characters; null or blank text means no note."
)


class ParamSpec(BaseModel):
    """One parameter of a space. Numbers need low and high, categories choices, fixed a value.

    `condition` makes it active only when other parameters take given values, e.g.
    `{"solver": ["sgd"]}` for momentum; an inactive parameter is absent from a trial.
    """

    model_config = ConfigDict(extra="forbid")

    type: Literal["float", "int", "categorical", "fixed"]
    low: Number | None = None
    high: Number | None = None
    log: bool = Field(False, description="Sample uniformly in log space (e.g. a learning rate).")
    step: Number | None = None
    hard: list[Literal["low", "high"]] | None = Field(
        None,
        description="Sides that are limits of the parameter itself (a probability's 1, a "
        "decay's 0): no edge warning suggests searching past them.",
    )
    choices: list[Choice] | None = Field(None, max_length=10_000)
    value: Choice | None = Field(None, description="The value of a fixed parameter.")
    condition: dict[str, list[Choice]] | None = Field(
        None, description="Active only when each named parameter takes one of the listed values."
    )


Space = Annotated[dict[str, ParamSpec], Field(min_length=1, max_length=1_000)]

SPACE_EXAMPLE = {
    "learning_rate_init": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "hidden_units": {"type": "int", "low": 8, "high": 256, "log": True},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}


def finite_json(value: Any) -> Any:
    """Refuse NaN and infinities anywhere in a JSON value (no database stores them as JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and infinite numbers are not allowed")
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_json(v) for v in value]
    return value


def space_json(space: dict[str, ParamSpec]) -> dict[str, dict[str, Any]]:
    """The space as plain JSON with only what the client sent, for the core to validate."""
    return {name: p.model_dump(exclude_unset=True) for name, p in space.items()}


SamplerOptions = Annotated[
    dict[str, Any] | None,
    Field(description='Sampler options, e.g. {"resolution": 5} for grid.', examples=[None]),
]
PrunerSpec = Annotated[
    dict[str, Any] | None,
    Field(
        description='Stop bad trials early: {"type": "median"} or {"type": "asha"}.',
        examples=[{"type": "median", "n_startup_trials": 5}],
    ),
]


class ReapingFields(BaseModel):
    """A search's reaping policy, fixed when it is made; every reaper judges its trials by it."""

    def policy(self, default: Reaping) -> Reaping:
        """The policy asked for, the rest from `default`."""
        return default.but(self.heartbeat_timeout, self.max_retries)

    heartbeat_timeout: float | None = Field(
        None,
        gt=0,
        le=7 * 24 * 3600,
        description="Seconds a running trial may go without a heartbeat before it is lost "
        "and retried. Default: the server's HYPERZOOM_HEARTBEAT_TIMEOUT (refine: the parent's).",
    )
    max_retries: int | None = Field(
        None,
        ge=0,
        le=1000,
        description="Retries of a lost trial before it is failed. Default: the server's "
        "HYPERZOOM_MAX_RETRIES (refine: the parent's).",
    )


class SearchCreate(ReapingFields):
    """How to sample: which sampler (random, grid, sobol, halton, lhs, zoom, and Optuna's tpe
    and nsga2, which need `pip install 'hyperzoom[tpe]'`), its options, how many trials, which
    seed, and optionally a pruner. On an experiment with several metrics, tpe and nsga2
    optimise them all (bounds as constraints); zoom follows the first and counts a trial that
    breaks a bound as failed."""

    model_config = ConfigDict(extra="forbid")

    sampler: SamplerName = Field(
        "random",
        description="random, grid, sobol, halton, lhs, zoom (coarse-to-fine by itself), tpe or "
        "nsga2 (Optuna's, `pip install 'hyperzoom[tpe]'`; on several metrics they optimise all, "
        "bounds as constraints).",
    )
    options: SamplerOptions = None
    pruner: PrunerSpec = None
    n_trials: NTrials = 60
    seed: Seed | None = None
    note: NoteText | None = Field(
        None, description="Why this search (for a refinement: why this box). " + NOTE_DESCRIPTION
    )

    def settings(self) -> SearchSettings:
        """The store's settings object: the five fields, as one."""
        return SearchSettings(self.n_trials, self.sampler, self.options, self.pruner, self.seed)


class MetricSpec(BaseModel):
    """One of several objectives: a metric the objective returns, which way is better, and
    optionally bounds (`lower`/`upper`, inclusive) a feasible trial's metric stays within."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200, examples=["accuracy"])]
    direction: Direction
    lower: Annotated[float, Field(allow_inf_nan=False)] | None = None
    upper: Annotated[float, Field(allow_inf_nan=False)] | None = None


METRICS_DESCRIPTION = (
    "Several objectives: the metrics the objective returns (a dict holding each name), each "
    "with a direction and optional bounds. The first is the trial's `value`: best values, "
    "pruning and suggested regions follow it (and it sets `direction`), and so does zoom, "
    "counting a trial that breaks a bound as failed; the tpe and nsga2 samplers optimise all "
    "of them, bounds as constraints; /api/experiments/{id}/pareto gives the trade-off over "
    "all of them. Null: one objective."
)


class ExperimentCreate(BaseModel):
    """A new experiment and its root search."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "MLP on digits",
                    "objective": "mlp-digits",
                    "direction": "maximize",
                    "space": SPACE_EXAMPLE,
                    "search": {"sampler": "random", "n_trials": 60, "seed": 1},
                }
            ]
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=200)]
    objective: Annotated[str, Field(min_length=1, max_length=200, examples=["mlp-digits"])]
    direction: Direction | None = Field(None, description="Defaults to the objective's.")
    space: Space | None = Field(None, description="Defaults to the objective's default space.")
    search: SearchCreate = Field(default_factory=SearchCreate)
    note: NoteText | None = Field(None, description="What it is for. " + NOTE_DESCRIPTION)
    metrics: Annotated[list[MetricSpec], Field(min_length=1, max_length=16)] | None = Field(
        None,
        description=METRICS_DESCRIPTION,
        examples=[
            [
                {"name": "accuracy", "direction": "maximize"},
                {"name": "fit_seconds", "direction": "minimize", "upper": 2.0},
            ]
        ],
    )


class RefineRequest(SearchCreate):
    """A child search over a region of its parent's space (sampling as a new search)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "region": {"learning_rate_init": [1e-3, 1e-2], "solver": ["adam"]},
                    "n_trials": 30,
                    "sampler": "random",
                    "note": "the best trials all sit at the high end of the learning rate",
                }
            ]
        },
    )

    region: Annotated[
        dict[str, list[Choice]],
        Field(
            min_length=1,
            max_length=1_000,
            description="name -> [low, high] in real units for numbers, a list of choices for "
            "categories. Parameters left out keep the parent's range.",
        ),
    ]
    n_trials: NTrials = 30  # a refinement is smaller than a root search
    dry_run: bool = Field(
        False,
        description="Preview only: create nothing and answer 200 with the canonical region, "
        "its problems, inside/outside statistics, edges and ranges for the other parameters.",
    )
    value_range: (
        Annotated[
            list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=2, max_length=2)
        ]
        | None
    ) = Field(
        None,
        description="Preview only: the box's [low, high] on the objective's axis; the selected "
        "trials (whose span other parameters can take) are those inside region and range.",
    )


class IncumbentRead(BaseModel):
    """A best completed trial of a search's lineage (its ancestors and its refinements)."""

    trial_id: int
    search_id: int = Field(description="The search that ran it: this one, an ancestor or a child.")
    value: float
    params: dict[str, Any]
    inside: bool = Field(description="Whether it lies in this search's space.")
    in_box: bool = Field(description="Whether it lies in the suggested region.")


class SuggestedRegionRead(BaseModel):
    """The box around the best trials, ready for refine, and where it touches the edge."""

    region: dict[str, Any]
    edges: list[dict[str, str]] = Field(
        description="[{param, side, message}]: the best trials sit on that side of the range, "
        "with what to do about it."
    )
    n_complete: int = Field(description="Completed trials the suggestion was made from.")
    warning: str | None = Field(None, description="Set when the suggestion rests on few trials.")
    incumbent: IncumbentRead | None = Field(
        None,
        description="The best completed trial of the lineage (ancestors, this search and its "
        "refinements), inside this search's space or not; null when none has completed.",
    )
    incumbent_inside: bool | None = Field(
        None, description="Whether the incumbent lies in this search's space (null: none)."
    )
    best_inside: IncumbentRead | None = Field(
        None,
        description="The best trial of the lineage inside this search's space (the incumbent "
        "when that is inside): the region contains it unless keep_incumbent=false.",
    )
    widened: list[str] = Field(
        default_factory=list,
        description="Parameters whose range was widened to keep best_inside in the region.",
    )
    optimum: dict[str, str] = Field(
        default_factory=dict,
        description="Per numeric parameter, where the best trials sit in this search's range: "
        '"interior", "low edge", "high edge" or "unclear" (few trials, or the best disagree).',
    )


class SearchRead(BaseModel):
    """A search with its progress."""

    id: int
    experiment_id: int
    parent_id: int | None
    sampler: str
    sampler_options: dict[str, Any] | None
    pruner: dict[str, Any] | None
    seed: int
    n_trials: int
    status: SearchStatus
    space: dict[str, Any]
    region: dict[str, Any] | None
    heartbeat_timeout: float = Field(description="Seconds of silence before a trial is lost.")
    max_retries: int = Field(description="Retries of a lost trial before it fails.")
    counts: dict[str, int] = Field(description="Number of trials in each state.")
    best_value: float | None
    note: str | None = Field(description="Why this search (for a refinement: why this box).")
    created_at: datetime


class ExperimentSummary(BaseModel):
    """An experiment in the list."""

    id: int
    name: str
    objective: str
    direction: Direction
    created_at: datetime
    root_search_id: int | None
    n_searches: int
    n_trials: int = Field(description="Budget of all its searches.")
    counts: dict[str, int]
    best_value: float | None


class ExperimentRead(ExperimentSummary):
    """An experiment with its space and its searches (parents before children)."""

    space: dict[str, Any]
    note: str | None = Field(description="What the experiment is for, as a person wrote it.")
    metrics: list[MetricSpec] | None = Field(None, description=METRICS_DESCRIPTION)
    searches: list[SearchRead]


class TrialRead(BaseModel):
    """One trial."""

    id: int
    search_id: int
    number: int
    state: TrialState
    params: dict[str, Any]
    value: float | None
    metrics: dict[str, Any] | None
    error: str | None
    worker: str | None
    attempt: int
    seq: int = Field(description="Change cursor: pass the last one as `since` for the next page.")
    note: str | None = Field(description="A person's note on the trial.")
    started_at: datetime | None
    finished_at: datetime | None


class TrialDetail(TrialRead):
    """One trial with its learning curve."""

    intermediate_values: list[tuple[int, float]] = Field(description="[step, value] pairs.")


class TrialColumns(BaseModel):
    """Trials as columns, compact for plotting; `cursor` goes into the next `since`."""

    cursor: int = Field(
        description="Pass it as the next `since`. The experiment's change number as of this "
        "read (read before the trials; never less than `since` nor than a trial's `seq` here): "
        "every trial write takes the next one, and so does every other change to what "
        "GET /api/experiments/{id} and its /tree show (a new search, a stop or resume, a note, "
        "a rename). A cursor that did not move: nothing changed; one that moved with no trials: "
        "the experiment or its searches changed."
    )
    id: list[int]
    search_id: list[int]
    number: list[int]
    state: list[TrialState]
    value: list[float | None]
    params: dict[str, list[Any]] = Field(description="name -> values; null where absent.")
    metrics: dict[str, list[Any]] = Field(
        default_factory=dict,
        description=f"metric name -> values; null where absent. At most {MAX_METRIC_COLUMNS} "
        "names, the first in change order; every trial keeps all its metrics in /api/trials.",
    )
    metrics_omitted: int = Field(
        0, description=f"Metric names past the first {MAX_METRIC_COLUMNS}, which have no column."
    )
    duration: list[float | None] = Field(
        default_factory=list, description="Seconds from start to finish; null until finished."
    )
    notes: dict[int, str] = Field(
        default_factory=dict,
        description="trial id -> its note, for the trials of this answer that have one (a "
        "trial of this answer that is not here has none): a note's change is a trial change.",
    )


class NoteWrite(BaseModel):
    """A note's new text, which replaces the old one; null or blank text clears it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "lr above 0.1 diverges: kept the box below it"}]},
    )

    note: NoteText | None = Field(description=NOTE_DESCRIPTION)


# The body of every PUT .../note, with its examples. (Clearing shows blank text: a null in an
# example is dropped on its way into OpenAPI, and `{}` would be refused.)
NoteBody = Annotated[
    NoteWrite,
    Body(
        openapi_examples={
            "set": {
                "summary": "Set or replace the note",
                "value": {"note": "lr above 0.1 diverges: kept the box below it"},
            },
            "clear": {"summary": "Clear it (null or blank text)", "value": {"note": ""}},
        }
    ),
]


class ObjectiveRead(BaseModel):
    """An objective the operator registered."""

    name: str
    direction: Direction
    description: str
    space: dict[str, Any]


class ErrorItem(BaseModel):
    """One problem with a request: where it is and what is wrong."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """Every 4xx answer: a readable message and the problems one by one."""

    message: str
    detail: list[ErrorItem]
