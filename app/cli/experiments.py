"""`hyperzoom experiment ...`, `search ...` and `status`: the page's actions from a terminal
(notes included: `experiment note`, `search note`).

Each talks to a server (`--server URL`, token from HYPERZOOM_TOKEN) or straight to a database
(`--db URL`) through the same REST API, so answers and errors are the same either way.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.cli.client import Client
from app.cli.errors import friendly
from app.settings import Settings

experiment_cli = typer.Typer(help="Create and inspect experiments.", no_args_is_help=True)
search_cli = typer.Typer(help="Refine searches and suggest regions.", no_args_is_help=True)
out = Console()

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (instead of --server).")]
ServerOption = Annotated[
    str | None, typer.Option(envvar="HYPERZOOM_SERVER", help="Server URL, e.g. http://host:8000")
]
TokenOption = Annotated[str | None, typer.Option(envvar="HYPERZOOM_TOKEN", help="API token.")]
WaitOption = Annotated[bool, typer.Option(help="Show a progress bar until the search is done.")]
OptionList = Annotated[
    list[str] | None, typer.Option("--option", help="Sampler option KEY=VALUE (repeatable).")
]
NoteText = Annotated[
    str | None,
    typer.Argument(help="The new note (replaces the old one); leave out to print the note."),
]
ClearOption = Annotated[bool, typer.Option("--clear", help="Remove the note.")]


def connect(db: str | None, server: str | None, token: str | None) -> Client:
    """A client for --server, else for --db (or HYPERZOOM_DATABASE_URL)."""
    settings = Settings(database_url=db) if db else Settings()
    return Client.to_server(server, token) if server else in_process(settings)


def in_process(settings: Settings) -> Client:
    """The app itself, run in this process on the settings' database: the routes a server
    would run, so the answers and errors are the same."""
    with warnings.catch_warnings():
        # Starlette asks test suites to move to httpx2; this is a transport, and httpx is
        # what the app installs, so a plain install should not print that advice.
        warnings.filterwarnings("ignore", message=".*httpx2", category=UserWarning)
        from fastapi.testclient import TestClient  # an in-process transport, not a test here

    from app.main import create_app

    app = create_app(settings)
    # Whoever holds the database URL may do anything; speak the token the app expects.
    token = settings.token_value
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = TestClient(app, raise_server_exceptions=True, headers=headers)
    http.__enter__()  # run the lifespan: schema check, reaper
    return Client(http, "database")


def parse_value(text: str) -> Any:
    """A command-line value as JSON when it parses (numbers, true/false), else a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_region(items: list[str]) -> dict[str, Any]:
    """`lr=1e-3:1e-2` (a range) and `solver=adam,sgd` (choices) into a region."""
    region: dict[str, Any] = {}
    for item in items:
        name, sep, spec = item.partition("=")
        if not sep or not name or not spec:
            raise typer.BadParameter(f"{item!r}: use NAME=LOW:HIGH or NAME=CHOICE,CHOICE")
        if ":" in spec:
            low, _, high = spec.partition(":")
            region[name] = [parse_value(low), parse_value(high)]
        else:
            region[name] = [parse_value(c) for c in spec.split(",")]
    return region


def parse_metric(text: str) -> dict[str, Any]:
    """`accuracy:maximize` or `fit_seconds:minimize:upper=2:lower=0` into a declared metric
    (the server checks names, directions and bounds and names what is wrong)."""
    name, _, rest = text.partition(":")
    direction, _, bounds = rest.partition(":")
    if not name or not direction:
        raise typer.BadParameter(f"{text!r}: use NAME:DIRECTION[:upper=X][:lower=Y]")
    metric: dict[str, Any] = {"name": name, "direction": direction}
    for bound in filter(None, bounds.split(":")):
        side, sep, number = bound.partition("=")
        if side not in ("lower", "upper") or not sep:
            raise typer.BadParameter(f"{text!r}: a bound is upper=NUMBER or lower=NUMBER")
        metric[side] = parse_value(number)
    return metric


def parse_options(items: list[str] | None) -> dict[str, Any] | None:
    """KEY=VALUE sampler options."""
    if not items:
        return None
    pairs = [item.partition("=") for item in items]
    bad = [k for k, sep, _ in pairs if not sep or not k]
    if bad:
        raise typer.BadParameter("sampler options look like KEY=VALUE")
    return {k: parse_value(v) for k, _, v in pairs}


def load_space(path: Path) -> dict[str, Any]:
    """A space from a YAML, JSON or TOML file."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}") from exc
    if path.suffix == ".toml":
        import tomllib

        return tomllib.loads(text)
    data = yaml.safe_load(text)  # YAML is a superset of JSON
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{path} must hold a mapping from parameter names to specs")
    return {name: _yaml_numbers(spec) for name, spec in data.items()}


def _yaml_numbers(spec: Any) -> Any:
    """YAML reads `1e-5` (no dot) as a string; bounds and steps are meant as numbers."""
    if not isinstance(spec, dict):
        return spec
    fixed = dict(spec)
    for key in ("low", "high", "step"):
        if isinstance(fixed.get(key), str):
            try:
                fixed[key] = float(fixed[key])
            except ValueError:
                pass  # let the API say what is wrong with it
    return fixed


@experiment_cli.command("create")
@friendly
def experiment_create(
    name: Annotated[str, typer.Argument(help="A name for the experiment.")],
    objective: Annotated[str, typer.Option(help="A registered objective, e.g. mlp-digits.")],
    space: Annotated[
        Path | None,
        typer.Option(help="Space file (YAML, JSON or TOML); default: the objective's."),
    ] = None,
    direction: Annotated[str | None, typer.Option(help="minimize or maximize.")] = None,
    sampler: Annotated[
        str, typer.Option(help="random, grid, sobol, halton, lhs, zoom, tpe, nsga2.")
    ] = "random",
    option: OptionList = None,
    trials: Annotated[int, typer.Option(min=1, help="Budget of the first search.")] = 60,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed, for a reproducible search.")
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            help="Several objectives: NAME:DIRECTION[:upper=X][:lower=Y] (repeatable; the "
            "first is the value best and zoom follow)."
        ),
    ] = None,
    wait: WaitOption = False,
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Create an experiment and start its first search."""
    body: dict[str, Any] = {
        "name": name,
        "objective": objective,
        "search": {
            "sampler": sampler,
            "n_trials": trials,
            "seed": seed,
            "options": parse_options(option),
        },
    }
    if space is not None:
        body["space"] = load_space(space)
    if direction is not None:
        body["direction"] = direction
    if metric:
        body["metrics"] = [parse_metric(m) for m in metric]
    with connect(db, server, token) as api:
        created = api.post("/api/experiments", body)
        out.print(
            f"experiment {created['id']} created; search {created['root_search_id']} "
            f"queued with {trials} trials",
            highlight=False,
        )
        if wait:
            wait_for(api, created["root_search_id"])


@experiment_cli.command("list")
@friendly
def experiment_list(
    db: DbOption = None, server: ServerOption = None, token: TokenOption = None
) -> None:
    """Every experiment with its progress and best value."""
    with connect(db, server, token) as api:
        rows = api.get("/api/experiments")
    table = Table("id", "name", "objective", "direction", "searches", "progress", "best")
    for e in rows:
        table.add_row(
            str(e["id"]),
            escape(e["name"]),
            escape(e["objective"]),
            e["direction"],
            str(e["n_searches"]),
            progress_text(e),
            fmt(e["best_value"]),
        )
    out.print(table if rows else "no experiments yet")


@experiment_cli.command("show")
@friendly
def experiment_show(
    experiment_id: int, db: DbOption = None, server: ServerOption = None, token: TokenOption = None
) -> None:
    """One experiment: its space and its tree of searches, with each refinement's gain over its
    parent's best inside its region and the trials it took to beat it."""
    with connect(db, server, token) as api:
        e = api.get(f"/api/experiments/{experiment_id}")
        found = api.get(f"/api/experiments/{experiment_id}/lineage")
    out.print(f"[bold]{escape(e['name'])}[/bold] · {escape(e['objective'])} · {e['direction']}")
    if e["note"]:
        out.print(e["note"], markup=False, highlight=False, soft_wrap=True)
    out.print_json(data=e["space"])
    out.print(search_table(e["searches"], {s["id"]: s for s in found["searches"]}))
    for s in e["searches"]:
        if s["note"]:
            out.print(
                f"search {s['id']}: {s['note']}", markup=False, highlight=False, soft_wrap=True
            )


@experiment_cli.command("pareto")
@friendly
def experiment_pareto(
    experiment_id: int,
    search: Annotated[
        int | None, typer.Option(help="Only this search and its refinements.")
    ] = None,
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """The Pareto front of EXPERIMENT over its declared metrics, one row per trial (by the first
    metric, best first), and how many trials were infeasible or missing a metric."""
    with connect(db, server, token) as api:
        params = {} if search is None else {"search": search}
        front = api.get(f"/api/experiments/{experiment_id}/pareto", **params)
        columns = api.get(f"/api/experiments/{experiment_id}/trials/columns")
    metrics = front["metrics"]
    row_of = {trial_id: i for i, trial_id in enumerate(columns["id"])}
    rows = []
    for trial_id in front["trial_ids"]:
        i = row_of[trial_id]
        values = [columns["value"][i]]
        values += [columns["metrics"].get(m["name"], [None] * len(row_of))[i] for m in metrics[1:]]
        rows.append((trial_id, columns["search_id"][i], values))
    rows.sort(key=lambda r: r[2][0], reverse=metrics[0]["direction"] == "maximize")
    table = Table(
        "trial", "search", *(f"{escape(m['name'])} ({m['direction'][:3]})" for m in metrics)
    )
    for trial_id, search_id, values in rows:
        table.add_row(str(trial_id), str(search_id), *(fmt(v) for v in values))
    out.print(table if rows else "no complete feasible trial yet")
    out.print(
        f"{len(rows)} on the front of {front['n_complete']} complete; "
        f"{len(front['infeasible_ids'])} infeasible, {len(front['missing_ids'])} missing a metric",
        highlight=False,
    )


@experiment_cli.command("note")
@friendly
def experiment_note(
    experiment_id: int,
    text: NoteText = None,
    clear: ClearOption = False,
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Set (or with --clear remove) EXPERIMENT's note: what it is for; print it without TEXT."""
    body = note_body(text, clear)
    with connect(db, server, token) as api:
        show_or_save_note(api, "experiment", experiment_id, body)


@search_cli.command("note")
@friendly
def search_note(
    search_id: int,
    text: NoteText = None,
    clear: ClearOption = False,
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Set (or with --clear remove) SEARCH's note: why this search, this box; print it
    without TEXT."""
    body = note_body(text, clear)
    with connect(db, server, token) as api:
        show_or_save_note(api, "search", search_id, body)


def note_body(text: str | None, clear: bool) -> dict[str, str | None] | None:
    """The PUT .../note body the arguments ask for; None to print the note instead."""
    if clear and text is not None:
        raise typer.BadParameter("give a note or --clear, not both")
    if clear:
        return {"note": None}
    return None if text is None else {"note": text}


def show_or_save_note(
    api: Client, kind: str, item_id: int, body: dict[str, str | None] | None
) -> None:
    """Print the note of an experiment or a search (`body` None), or send `body` to its
    PUT .../note as the page does and say what became of it."""
    path = f"/api/{'experiments' if kind == 'experiment' else 'searches'}/{item_id}"
    what = f"{kind} {item_id}"
    if body is None:
        note = api.get(path)["note"]
        shown = note if note is not None else f"{what} has no note"
        out.print(shown, markup=False, highlight=False, soft_wrap=True)
        return
    saved = api.request("PUT", f"{path}/note", json=body)
    out.print(f"note on {what} {'saved' if saved['note'] else 'cleared'}", highlight=False)


@search_cli.command("refine")
@friendly
def search_refine(
    search_id: Annotated[int, typer.Argument(help="The search to refine.")],
    region: Annotated[
        list[str], typer.Option(help="NAME=LOW:HIGH or NAME=CHOICE,CHOICE (repeatable).")
    ],
    trials: Annotated[int, typer.Option(min=1, help="Budget of the child search.")] = 30,
    sampler: Annotated[str, typer.Option(help="The child's sampler.")] = "random",
    option: OptionList = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    note: Annotated[str | None, typer.Option(help="Why this region (the child's note).")] = None,
    wait: WaitOption = False,
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Start a finer search over a region of SEARCH's space."""
    body = {
        "region": parse_region(region),
        "n_trials": trials,
        "sampler": sampler,
        "options": parse_options(option),
        "seed": seed,
        "note": note,
    }
    with connect(db, server, token) as api:
        child = api.post(f"/api/searches/{search_id}/refine", body)
        out.print(
            f"search {child['id']} created over {escape(region_text(child['region']))}",
            highlight=False,
        )
        if wait:
            wait_for(api, child["id"])


@search_cli.command("suggest-region")
@friendly
def search_suggest_region(
    search_id: int,
    top_fraction: Annotated[float, typer.Option(min=0.001, max=1.0)] = 0.2,
    margin: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.1,
    keep_incumbent: Annotated[
        bool, typer.Option(help="Widen the box to keep the best trial so far in it.")
    ] = True,
    refine: Annotated[
        int | None, typer.Option(min=1, help="Also refine over it with this many trials.")
    ] = None,
    sampler: Annotated[str, typer.Option(help="Sampler for --refine.")] = "random",
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """The box around the best trials of SEARCH (and its refinements)."""
    with connect(db, server, token) as api:
        found = api.get(
            f"/api/searches/{search_id}/suggest-region",
            top_fraction=top_fraction,
            margin=margin,
            keep_incumbent=keep_incumbent,
        )
        table = Table("parameter", "low", "high / choices")
        for name, bounds in found["region"].items():
            numeric = len(bounds) == 2 and all(isinstance(b, int | float) for b in bounds)
            table.add_row(
                escape(name),
                fmt(bounds[0]) if numeric else "",
                fmt(bounds[1]) if numeric else escape(", ".join(map(str, bounds))),
            )
        out.print(f"from the best of {found['n_complete']} trials:")
        out.print(table)
        for line in incumbent_lines(found):
            out.print(line, highlight=False)
        for edge in found["edges"]:
            out.print(f"[yellow]warning:[/yellow] {escape(edge['message'])}", highlight=False)
        if refine:
            body = {"region": found["region"], "n_trials": refine, "sampler": sampler}
            child = api.post(f"/api/searches/{search_id}/refine", body)
            out.print(f"search {child['id']} created over it", highlight=False)


def incumbent_lines(found: dict[str, Any]) -> list[str]:
    """What a suggestion says about the best trial so far and where the optimum sits."""
    lines = []
    best, kept = found.get("incumbent"), found.get("best_inside")
    if best:
        where = "inside" if best["inside"] else "outside"
        lines.append(
            f"best trial so far: trial {best['trial_id']} of search {best['search_id']} "
            f"({fmt(best['value'])}), {where} this search's space"
        )
    if kept and found.get("widened"):
        names = escape(", ".join(found["widened"]))
        lines.append(f"widened {names} to keep trial {kept['trial_id']} in the box")
    if kept and not kept["in_box"]:
        lines.append(f"[yellow]warning:[/yellow] the box leaves out trial {kept['trial_id']}")
    if found.get("optimum"):
        sits = ", ".join(f"{name} {where}" for name, where in found["optimum"].items())
        lines.append(f"the best trials sit: {escape(sits)}")
    return lines


@friendly
def status(
    experiment_id: Annotated[
        int | None, typer.Argument(help="One experiment (default: all).")
    ] = None,
    watch: Annotated[bool, typer.Option(help="Keep the table live until Ctrl-C.")] = False,
    interval: Annotated[float, typer.Option(min=0.2)] = 2.0,
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """A table of searches and their progress."""
    with connect(db, server, token) as api:
        if not watch:
            out.print(status_table(api, experiment_id))
            return
        with Live(status_table(api, experiment_id), console=out, refresh_per_second=2) as live:
            try:
                while True:
                    time.sleep(interval)
                    live.update(status_table(api, experiment_id))
            except KeyboardInterrupt:
                pass


def status_table(api: Client, experiment_id: int | None) -> Table:
    """Searches of one or all experiments."""
    ids = [experiment_id] if experiment_id else [e["id"] for e in api.get("/api/experiments")]
    searches = [s for i in ids for s in api.get(f"/api/experiments/{i}")["searches"]]
    return search_table(searches)


def search_table(
    searches: list[dict[str, Any]], lineage: dict[int, dict[str, Any]] | None = None
) -> Table:
    """Searches as rows: parent, sampler, region, progress, best, status; given their lineage
    (GET .../lineage, by search id), each refinement's gain over its parent's best inside its
    region (a gain > 0 is better) and the trials it took to beat it, as the page's tree."""
    gains = ("gain", "to beat") if lineage is not None else ()
    table = Table(
        "search", "experiment", "parent", "sampler", "region", "progress", "best", *gains, "status"
    )
    for s in searches:
        region = escape(region_text(s["region"]))
        table.add_row(
            str(s["id"]),
            str(s["experiment_id"]),
            str(s["parent_id"] or "–"),
            s["sampler"],
            region,
            progress_text(s),
            fmt(s["best_value"]),
            *(gain_cells(lineage.get(s["id"])) if lineage is not None else ()),
            s["status"],
        )
    return table


def gain_cells(entry: dict[str, Any] | None) -> tuple[str, str]:
    """A search's gain over its parent's best in its region and the trials it took to beat it,
    from its lineage entry: dashes for a root (or a search the lineage does not hold)."""
    gain = (entry or {}).get("gain")
    if not gain:
        return "–", "–"
    to_beat = "–" if gain["baseline"] is None else beaten(gain["trials_to_beat"], entry["trials"])
    return signed(gain["gain"]), to_beat


def signed(value: float | None) -> str:
    """A gain with its sign (+ is better in the objective's direction), or a dash."""
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + fmt(value)


def beaten(trials: int | None, spent: int) -> str:
    """'3 of 5', or 'not yet' when no trial beat the baseline."""
    return "not yet" if trials is None else f"{trials} of {spent}"


def region_text(region: dict[str, Any] | None) -> str:
    """A region in one short line: name low..high, or name {a, b}."""
    if not region:
        return "whole space"
    parts = []
    for name, bounds in region.items():
        numeric = len(bounds) == 2 and all(isinstance(b, int | float) for b in bounds)
        shown = (
            f"{fmt(bounds[0])}..{fmt(bounds[1])}"
            if numeric
            else "{" + ", ".join(map(str, bounds)) + "}"
        )
        parts.append(f"{name} {shown}")
    return "; ".join(parts)


def progress_text(item: dict[str, Any]) -> str:
    """finished / budget, with running and failed counts."""
    c = item["counts"]
    finished = c["complete"] + c["failed"] + c["pruned"]
    extra = "".join(f", {c[k]} {k}" for k in ("running", "failed", "pruned") if c[k])
    return f"{finished}/{item['n_trials']}{extra}"


def wait_for(api: Client, search_id: int) -> None:
    """A progress bar until the search is done (Ctrl-C stops waiting, not the search)."""
    columns = (
        TextColumn("search {task.fields[search]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out) as bar:
        task = bar.add_task("", total=None, search=search_id, best="–")
        try:
            while True:
                s = api.get(f"/api/searches/{search_id}")
                c = s["counts"]
                done = c["complete"] + c["failed"] + c["pruned"]
                bar.update(task, total=s["n_trials"], completed=done, best=fmt(s["best_value"]))
                if s["status"] in ("done", "stopped"):
                    return
                time.sleep(1.0)
        except KeyboardInterrupt:
            out.print("stopped waiting; the search goes on")


def fmt(value: Any) -> str:
    """Numbers with 4 significant digits, None as a dash."""
    if value is None:
        return "–"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
