"""An Optuna study as an import document (`app.store.document`), with notices of what changed.

Pure conversion: nothing is written here. The document goes to the same importer as
`hyperzoom import` (`app.store.importing`), so an Optuna study gets the same checks and the same
all-or-nothing write, over `--db` or `--server`. Optuna is imported only when a study is read:
Hyperzoom runs without it (it is the `hyperzoom[tpe]` extra).

What Optuna records and a Hyperzoom space cannot say is never dropped in silence: it is either
refused with an `OptunaImportError` naming it, or mapped and described in a notice (see
docs/optuna.md for the list).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from app.core.space import SearchSpace, SpaceError
from app.core.states import Direction, TrialState
from app.store.db import redact
from app.store.document import FORMAT, VERSION, json_path

if TYPE_CHECKING:  # only for annotations: optuna is imported when a study is read
    from optuna import Study
    from optuna.distributions import BaseDistribution
    from optuna.trial import FrozenTrial

NEEDS_OPTUNA = "import-optuna needs Optuna: pip install 'hyperzoom[tpe]'"
# Tables every Optuna RDB storage has; a database without them is not opened through Optuna,
# which would create them (in a Hyperzoom database passed by mistake, for one).
OPTUNA_TABLES = {"studies", "version_info"}
NAME_CHARS = 200  # an experiment's name and objective, as the import document allows
NONE_CHOICE = "None"  # Optuna allows None among a categorical's choices; a space does not
NAMES_SHOWN = 20


class OptunaImportError(ValueError):
    """The storage or study cannot be read, or holds what a Hyperzoom experiment cannot."""


@dataclass
class _Notes:
    """Notices for the user, and counts that become one notice each."""

    lines: list[str] = field(default_factory=list)
    unfinished: int = 0
    unfit_failed: int = 0
    infinite: list[int] = field(default_factory=list)
    dropped_steps: int = 0
    text_attrs: set[str] = field(default_factory=set)


def optuna_document(
    storage_url: str, study_name: str | None = None, *, objective: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Read one study of an Optuna RDB storage (`sqlite:///optuna.db`) as an import document.

    Without `study_name` the storage must hold exactly one study. `objective` names what the
    experiment's searches run (what your workers offer); it defaults to `optuna:STUDY`.
    Returns the document (for `importing.import_experiment` or `POST /api/experiments/import`)
    and the notices: what was mapped, skipped or left out. Raises OptunaImportError (a
    ValueError) with one readable sentence.
    """
    optuna = _optuna()
    _check_storage(storage_url)
    try:
        storage = optuna.storages.RDBStorage(storage_url)
    except (RuntimeError, ValueError, SQLAlchemyError) as exc:  # e.g. an older Optuna's schema
        raise OptunaImportError(f"cannot open {redact(storage_url)}: {_first_line(exc)}") from exc
    try:
        name = _study_name(optuna, storage, storage_url, study_name)
        study = optuna.load_study(study_name=name, storage=storage)
        return study_document(study, objective=objective)
    finally:
        storage.engine.dispose()


def study_document(
    study: Study, *, objective: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """A loaded `optuna.Study` (any storage, in-memory too) as an import document and notices."""
    optuna = _optuna()
    state = optuna.trial.TrialState
    notes = _Notes()
    direction = _direction(study, notes)
    metrics = _metrics_declared(study, direction, notes)
    trials = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state in (state.RUNNING, state.WAITING):
            notes.unfinished += 1
        else:
            trials.append(trial)
    if not trials:
        raise OptunaImportError(
            f"study {study.study_name!r} has no finished trial to import"
            + (f" ({notes.unfinished} running or waiting)" if notes.unfinished else "")
        )
    space, choices_of_none = _space(optuna, trials, notes)
    rows = []
    for trial in trials:
        row = _trial(optuna, trial, space, choices_of_none, notes)
        if row is not None:
            rows.append({**row, "number": len(rows)})
    name = study.study_name[:NAME_CHARS]
    started = min((t.datetime_start for t in trials if t.datetime_start), default=None)
    created = _iso(started) or datetime.now(UTC).isoformat()
    document = {
        "format": FORMAT,
        "version": VERSION,
        "experiment": {
            "name": name,
            "objective": (objective or f"optuna:{name}")[:NAME_CHARS],
            "direction": direction.value,
            "space": space.to_dict(),
            "created_at": created,
            **({"metrics": metrics} if metrics else {}),
        },
        "searches": [
            {
                "id": 1,
                "parent_id": None,
                # Never used to sample (the search is done); refinements choose their own.
                "sampler": "random",
                "sampler_options": None,
                "pruner": None,
                "seed": 0,
                "n_trials": len(rows),
                "status": "done",
                "space": space.to_dict(),
                "region": None,
                "created_at": created,
            }
        ],
        "trials": rows,
    }
    return document, notes.lines + _count_notices(notes, len(rows))


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise OptunaImportError(NEEDS_OPTUNA) from None
    return optuna


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_storage(url: str) -> None:
    """Refuse what is not an Optuna storage before Optuna opens it: Optuna would create an
    empty SQLite file for a missing path, and its tables in any database it is given."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise OptunaImportError(
            f"{url!r} is not a database URL; an Optuna storage looks like sqlite:///optuna.db"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:"):
            raise OptunaImportError(f"{url} is an empty in-memory database: no study to read")
        if not parsed.query.get("uri") and not Path(path).is_file():
            raise OptunaImportError(f"{path} does not exist: there is no Optuna storage to read")
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError) as exc:  # an unknown dialect, a driver not installed
        raise OptunaImportError(f"cannot read {redact(url)}: {_first_line(exc)}") from exc
    try:
        tables = set(inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        raise OptunaImportError(f"cannot read {redact(url)}: {_first_line(exc)}") from exc
    finally:
        engine.dispose()
    if not OPTUNA_TABLES <= tables:
        raise OptunaImportError(
            f"{redact(url)} is not an Optuna storage (it has no `studies` and `version_info` "
            "tables)"
        )


def _study_name(optuna: Any, storage: Any, url: str, wanted: str | None) -> str:
    names = optuna.get_all_study_names(storage)
    where = redact(url)
    if wanted is not None:
        if wanted not in names:
            raise OptunaImportError(
                f"{where} has no study named {wanted!r}; its studies: {_listed(names)}"
            )
        return wanted
    if not names:
        raise OptunaImportError(f"{where} holds no study")
    if len(names) > 1:
        raise OptunaImportError(
            f"{where} holds {len(names)} studies; choose one with --study: {_listed(names)}"
        )
    return names[0]


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "") if names else "none"


def _direction(study: Study, notes: _Notes) -> Direction:
    """The first objective's direction (an undefined one: minimize, said in a notice)."""
    first = study.directions[0].name.lower()
    if first not in ("minimize", "maximize"):
        notes.lines.append(f"the study's direction is {first}: the experiment minimizes")
        first = "minimize"
    return Direction(first)


def _metrics_declared(study: Study, direction: Direction, notes: _Notes) -> list[dict[str, str]]:
    """A study with several objectives declares them as the experiment's metrics: the first is
    each trial's value (`objective_0`), the others the metrics `objective_1`, ... its trials
    carry, so the Trade-offs tab shows the front and tpe / nsga2 refinements learn from all of
    them. A notice says so, with the study's own names; one objective declares none."""
    directions = [d.name.lower() for d in study.directions]
    if len(directions) < 2:
        return []
    metrics = [{"name": "objective_0", "direction": direction.value}]
    for i, way in enumerate(directions[1:], start=1):
        metrics.append(
            {"name": f"objective_{i}", "direction": way if way == "maximize" else "minimize"}
        )
    names = study.metric_names
    named = f" ({', '.join(names)})" if names else ""
    declared = ", ".join(f"{m['name']} ({m['direction']})" for m in metrics)
    notes.lines.append(
        f"the study has {len(directions)} objectives{named}: the experiment declares them as its "
        f"metrics {declared}; each trial's value is objective_0"
    )
    return metrics


# --- the space ---------------------------------------------------------------------------------


def _space(
    optuna: Any, trials: Sequence[FrozenTrial], notes: _Notes
) -> tuple[SearchSpace, set[str]]:
    """The space every complete and pruned trial fits: each parameter from its distributions,
    and a condition for each parameter some trials lack (Optuna's define-by-run branches).

    Failed trials do not shape it (they may have stopped before suggesting everything) unless
    no trial completed or was pruned. Returns the space and the categoricals whose None choice
    became the string "None".
    """
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    reference = [t for t in trials if t.state in done] or list(trials)
    seen: dict[str, list[BaseDistribution]] = {}
    for trial in reference:
        for name in trial.distributions:
            seen.setdefault(name, [])
    for trial in trials:  # a failed trial's ranges count, its parameters alone make none
        for name, distribution in trial.distributions.items():
            if name in seen and distribution not in seen[name]:
                seen[name].append(distribution)
    specs: dict[str, dict[str, Any]] = {}
    nones: set[str] = set()
    for name, distributions in seen.items():
        specs[name] = _param(optuna, name, distributions, notes)
        if specs[name]["type"] == "categorical" and None in _choices(distributions):
            nones.add(name)
    rows = [_params(t, nones) for t in reference]
    for name, condition in _conditions(specs, rows).items():
        specs[name]["condition"] = condition
    try:
        return SearchSpace.from_dict(specs), nones
    except SpaceError as exc:
        raise OptunaImportError(
            f"the study's parameters make no Hyperzoom space: {json_path(exc.loc)}: {exc.problem}"
        ) from exc


def _param(
    optuna: Any, name: str, distributions: Sequence[BaseDistribution], notes: _Notes
) -> dict[str, Any]:
    """One parameter's JSON form; several distributions (ranges changed along the study) are
    merged into one that holds them all, with a notice."""
    dists = optuna.distributions
    first = distributions[0]
    if isinstance(first, dists.CategoricalDistribution):
        return _categorical(name, _choices(distributions), notes)
    if not isinstance(first, dists.FloatDistribution | dists.IntDistribution):
        raise OptunaImportError(
            f"parameter {name!r}: {type(first).__name__} has no Hyperzoom equivalent"
        )
    low = min(d.low for d in distributions)
    high = max(d.high for d in distributions)
    if isinstance(first, dists.IntDistribution):
        step = math.gcd(*(d.step for d in distributions), *(d.low - low for d in distributions))
        spec: dict[str, Any] = {"type": "int", "low": low, "high": high}
        if step != 1:
            spec["step"] = step
    elif low == high:  # Optuna allows a float range of one value; a space calls it fixed
        spec = {"type": "fixed", "value": float(low)}
    else:
        spec = {"type": "float", "low": float(low), "high": float(high)}
        step = _float_step(distributions, low, high)
        if step is not None:
            spec["step"] = step
        elif any(d.step is not None for d in distributions):
            notes.lines.append(
                f"parameter {name!r} had steps that no single step covers: it is continuous here"
            )
    if first.log and spec["type"] != "fixed":
        spec["log"] = True
    if len(distributions) > 1:
        notes.lines.append(
            f"parameter {name!r} was drawn from {len(distributions)} different ranges along the "
            f"study: its range here, [{low}, {high}], holds them all"
        )
    return spec


def _float_step(
    distributions: Sequence[BaseDistribution], low: float, high: float
) -> float | None:
    """The one step of every distribution when their grids line up over [low, high]."""
    steps = {d.step for d in distributions}
    step = steps.pop() if len(steps) == 1 else None
    if step is None:
        return None
    for offset in (high - low, *(d.low - low for d in distributions)):
        k = offset / step
        if abs(k - round(k)) > 1e-9 * max(1.0, k):
            return None
    return float(step)


def _choices(distributions: Sequence[BaseDistribution]) -> list[Any]:
    """Every choice of a categorical's distributions, in order (Optuna keeps them equal)."""
    out: list[Any] = []
    for d in distributions:
        out += [c for c in d.choices if not any(_same(c, o) for o in out)]
    return out


def _categorical(name: str, choices: list[Any], notes: _Notes) -> dict[str, Any]:
    for choice in choices:
        if choice is None:
            continue
        if not isinstance(choice, str | int | float | bool):
            raise OptunaImportError(
                f"parameter {name!r}: the choice {choice!r} is not a string, number or boolean"
            )
        if isinstance(choice, float) and not math.isfinite(choice):
            raise OptunaImportError(f"parameter {name!r}: the choice {choice!r} is not finite")
    if any(c is None for c in choices):
        if NONE_CHOICE in choices:
            raise OptunaImportError(
                f"parameter {name!r} has both None and 'None' among its choices; a Hyperzoom "
                "space has no None, so they cannot be told apart"
            )
        choices = [NONE_CHOICE if c is None else c for c in choices]
        notes.lines.append(
            f"parameter {name!r}: a space's choices cannot be None, so the choice None is the "
            f"string {NONE_CHOICE!r} here (trials and refinements hand your objective that string)"
        )
    return {"type": "categorical", "choices": choices}


def _params(trial: FrozenTrial, nones: set[str]) -> dict[str, Any]:
    return {k: NONE_CHOICE if (v is None and k in nones) else v for k, v in trial.params.items()}


def _conditions(
    specs: Mapping[str, Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, list[Any]]]:
    """For each parameter that some rows lack, the earlier categorical or integer parameter
    whose values decide exactly when it is there (`svc_c` when `model` is "svc", `units_2`
    when `n_layers` is 3 or 4). Decided from these rows, so a value never seen with the
    parameter does not activate it."""
    names = list(specs)
    found: dict[str, dict[str, list[Any]]] = {}
    for i, name in enumerate(names):
        having = [r for r in rows if name in r]
        if len(having) == len(rows):
            continue
        for parent in names[:i]:
            if specs[parent]["type"] not in ("categorical", "int"):
                continue
            if any(parent not in r for r in having):
                continue
            values = _ordered(specs[parent], (r[parent] for r in having))
            if all(name in r for r in rows if parent in r and _among(r[parent], values)):
                found[name] = {parent: values}
                break
        else:
            raise OptunaImportError(
                f"parameter {name!r} is set in {len(having)} of {len(rows)} complete and pruned "
                "trials, and no categorical or integer parameter suggested before it decides "
                "when: a Hyperzoom space needs every parameter in every trial unless a "
                "condition on another parameter says otherwise"
            )
    return found


def _ordered(spec: Mapping[str, Any], values: Iterable[Any]) -> list[Any]:
    """Distinct values in the parameter's own order (its choices, or ascending integers)."""
    distinct: list[Any] = []
    for v in values:
        if not _among(v, distinct):
            distinct.append(v)
    if spec["type"] == "categorical":
        return [c for c in spec["choices"] if _among(c, distinct)]
    return sorted(distinct)


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps True apart from 1, as a space does."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _among(value: Any, values: Iterable[Any]) -> bool:
    return any(_same(value, v) for v in values)


# --- trials ------------------------------------------------------------------------------------


def _trial(
    optuna: Any, trial: FrozenTrial, space: SearchSpace, nones: set[str], notes: _Notes
) -> dict[str, Any] | None:
    """A finished trial as a document trial (its number is set by the caller), or None for a
    failed trial that does not fit the space (it stopped before suggesting everything)."""
    optuna_state = optuna.trial.TrialState
    params = _params(trial, nones)
    try:
        space.validate_params(params)
    except SpaceError as exc:
        if trial.state == optuna_state.FAIL:
            notes.unfit_failed += 1
            return None
        raise OptunaImportError(
            f"trial {trial.number} does not fit the space: {json_path(exc.loc)}: {exc.problem}"
        ) from exc
    values = list(trial.values or [])
    state, value, error = TrialState.FAILED, None, "failed in Optuna (the study keeps no reason)"
    if trial.state == optuna_state.COMPLETE:
        state, value, error = TrialState.COMPLETE, values[0], None
        if not _finite(value):
            notes.infinite.append(trial.number)
            state, error = TrialState.FAILED, f"Optuna recorded the value {value}"
            value = None
    elif trial.state == optuna_state.PRUNED:
        state, error = TrialState.PRUNED, None
        value = values[0] if values and _finite(values[0]) else None
    return {
        "search_id": 1,
        "state": state.value,
        "params": params,
        "value": value,
        "metrics": _metrics(trial, values, notes),
        "error": error,
        "worker": None,
        "attempt": 0,
        "lost": 0,
        "started_at": _iso(trial.datetime_start),
        "finished_at": _iso(trial.datetime_complete),
        "intermediate_values": _curve(trial, notes),
    }


def _metrics(trial: FrozenTrial, values: list[float], notes: _Notes) -> dict[str, Any] | None:
    """Numeric user attributes, and the objectives after the first (`objective_1`, ...)."""
    metrics: dict[str, Any] = {}
    for key, value in trial.user_attrs.items():
        if not isinstance(value, bool) and isinstance(value, int | float) and _finite(value):
            metrics[key] = value
        else:
            notes.text_attrs.add(key)
    for i, value in enumerate(values[1:], start=1):
        if _finite(value):
            metrics[f"objective_{i}"] = value
    return metrics or None


def _curve(trial: FrozenTrial, notes: _Notes) -> list[list[int | float]]:
    curve = []
    for step, value in sorted(trial.intermediate_values.items()):
        if _finite(value):
            curve.append([step, value])
        else:
            notes.dropped_steps += 1
    return curve


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(value)
    except (TypeError, OverflowError):
        return False


def _count_notices(notes: _Notes, imported: int) -> list[str]:
    lines = []
    if notes.unfinished:
        lines.append(
            f"not imported: {_many(notes.unfinished, 'running or waiting trial')} (no result "
            "yet, and what runs them is Optuna's, not Hyperzoom's)"
        )
    if notes.unfit_failed:
        lines.append(
            f"not imported: {_many(notes.unfit_failed, 'failed trial')} whose parameters do not "
            "fit the space the complete and pruned trials define (most likely they failed "
            "before suggesting every parameter)"
        )
    if notes.unfinished + notes.unfit_failed:
        lines.append(f"the {imported} imported trials are numbered 0..{imported - 1} in order")
    if notes.infinite:
        shown = ", ".join(str(n) for n in notes.infinite[:NAMES_SHOWN])
        lines.append(
            f"imported as failed: {_many(len(notes.infinite), 'complete trial')} with an "
            f"infinite value, which Hyperzoom does not store (Optuna's numbers: {shown})"
        )
    if notes.dropped_steps:
        lines.append(
            f"left out: {_many(notes.dropped_steps, 'intermediate value')} (NaN or infinite)"
        )
    if notes.text_attrs:
        keys = sorted(notes.text_attrs)
        shown = ", ".join(keys[:NAMES_SHOWN]) + (" ..." if len(keys) > NAMES_SHOWN else "")
        lines.append(
            f"user attributes that are not finite numbers are not imported as metrics: {shown}"
        )
    return lines


def _many(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _iso(moment: datetime | None) -> str | None:
    """Optuna stores local times without a zone; the document says UTC."""
    if moment is None:
        return None
    aware = moment.astimezone() if moment.tzinfo is None else moment
    return aware.astimezone(UTC).isoformat()
