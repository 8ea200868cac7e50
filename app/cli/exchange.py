"""`hyperzoom export` and `hyperzoom import`: move an experiment between machines and databases;
`hyperzoom import-optuna`: bring in an Optuna study.

All go through the REST API (`--server URL` or `--db URL`), like the other commands; an Optuna
study is made into the same document `import` sends (app.store.optuna_study).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from app.cli.errors import friendly
from app.cli.experiments import DbOption, ServerOption, TokenOption, connect, out
from app.store.optuna_study import optuna_document


@friendly
def export_command(
    experiment_id: Annotated[int, typer.Argument(help="The experiment to export.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
    csv: Annotated[
        bool, typer.Option("--csv", help="Trials as a CSV table instead of the JSON document.")
    ] = False,
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Export an experiment as a JSON document (`hyperzoom import` reads it) or trials as CSV."""
    path = f"/api/experiments/{experiment_id}/" + ("trials.csv" if csv else "export")
    with connect(db, server, token) as api, api.download(path) as pieces:
        if output is None:
            for piece in pieces:
                sys.stdout.buffer.write(piece)
            sys.stdout.buffer.flush()
            return
        _write(output, pieces)
    what = "trials" if csv else "experiment"
    out.print(f"{what} of experiment {experiment_id} written to {escape(str(output))}")


def _write(output: Path, pieces: Iterator[bytes]) -> None:
    """Write the export as it arrives, through `output` as it is (a link, a device). A file
    made here is removed if the export breaks off, so half an export never passes for one."""
    made = not output.exists()
    try:
        with output.open("wb") as sink:
            for piece in pieces:
                sink.write(piece)
    except BaseException as exc:
        if made:
            output.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise typer.BadParameter(f"cannot write {output}: {exc.strerror}") from exc
        raise


@friendly
def import_command(
    path: Annotated[Path, typer.Argument(help="A JSON file written by `hyperzoom export`.")],
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Import an exported experiment with new ids; trials that were running will run again."""
    document = read_document(path)
    with connect(db, server, token) as api:
        created = api.post("/api/experiments/import", document)
    counts = created["counts"]
    out.print(
        f"experiment {created['id']} ({escape(created['name'])}) imported: "
        f"{created['n_searches']} searches, {sum(counts.values())} trials, "
        f"{counts['waiting']} waiting to run",
        highlight=False,
    )


@friendly
def import_optuna_command(
    storage: Annotated[
        str,
        typer.Argument(
            metavar="STORAGE_URL", help="An Optuna RDB storage, e.g. sqlite:///optuna.db"
        ),
    ],
    study: Annotated[
        str | None,
        typer.Option("--study", help="The study to import; needed when there are several."),
    ] = None,
    objective: Annotated[
        str | None,
        typer.Option(
            "--objective",
            help="What refinements run: the objective your workers offer (default: optuna:STUDY).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Import an Optuna study as an experiment: its space, trials, values and learning curves.

    Needs Optuna (the tpe extra). What is mapped or left out is printed as a note."""
    document, notices = optuna_document(storage, study, objective=objective)
    with connect(db, server, token) as api:
        created = api.post("/api/experiments/import", document)
    counts = created["counts"]
    states = ", ".join(
        f"{counts[s]} {s}" for s in ("complete", "pruned", "failed") if counts.get(s)
    )
    out.print(
        f"experiment {created['id']} ({escape(created['name'])}) imported from Optuna: "
        f"{sum(counts.values())} trials ({states})",
        highlight=False,
        soft_wrap=True,
    )
    for notice in notices:
        out.print(f"note: {escape(notice)}", highlight=False, soft_wrap=True)


def read_document(path: Path) -> Any:
    """The JSON in `path`; NaN and infinities are refused, as the API would."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise typer.BadParameter(f"cannot read {path}: {reason}") from exc
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise ValueError(f"{path} is not a JSON document: {exc}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed (the document needs finite numbers)")
