"""`hyperzoom export` and `hyperzoom import`: move an experiment between machines and databases;
`hyperzoom import-optuna`: bring in an Optuna study.

All go through the REST API (`--server URL` or `--db URL`), like the other commands; an Optuna
study is made into the same document `import` sends (app.store.optuna_study).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from app.api.views import experiment_read
from app.cli.client import Client
from app.cli.errors import friendly
from app.cli.experiments import DbOption, ServerOption, TokenOption, connect, out
from app.settings import Settings
from app.store import importing
from app.store.db import make_engine, make_sessionmaker, session_scope
from app.store.document import DocumentError
from app.store.migrate import check_schema
from app.store.optuna_study import optuna_document

CHUNK = 64 * 1024  # bytes of a document read (and sent) at a time


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
    """Import an exported experiment with new ids; trials that were running will run again.

    Read a trial at a time, whatever the file's size, with a progress bar; all or nothing."""
    try:
        source = path.open("rb")
        size = os.fstat(source.fileno()).st_size
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}") from exc
    with source, _progress() as bar:
        task = bar.add_task("importing", total=size or None)
        chunks = _chunks(source, lambda n: bar.advance(task, n))
        if server:
            with Client.to_server(server, token) as api:
                created = api.upload("/api/experiments/import", chunks)
        else:
            created = _import_into(db, chunks)
    counts = created["counts"]
    out.print(
        f"experiment {created['id']} ({escape(created['name'])}) imported: "
        f"{created['n_searches']} searches, {sum(counts.values())} trials, "
        f"{counts['waiting']} waiting to run",
        highlight=False,
    )


def _import_into(db: str | None, chunks: Iterator[bytes]) -> dict[str, Any]:
    """Stream the document straight into the database (--db), in one transaction, through the
    store's importer, the one the API route runs. Not through the in-process app, as the other
    commands go: its transport reads a request body whole before the app sees it."""
    settings = Settings(database_url=db) if db else Settings()
    engine = make_engine(settings.database_url)
    try:
        check_schema(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            experiment = importing.import_stream(session, chunks)
            session.flush()
            return experiment_read(session, experiment).model_dump(mode="json")
    except DocumentError as exc:
        raise ValueError(exc.text()) from None
    finally:
        engine.dispose()


def _chunks(source: BinaryIO, advance: Callable[[int], None]) -> Iterator[bytes]:
    """The file in chunks of CHUNK bytes, moving the progress bar as each is taken."""
    while chunk := source.read(CHUNK):
        advance(len(chunk))
        yield chunk


def _progress() -> Progress:
    """A bar of bytes read, on standard error (standard output keeps the one-line answer)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
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
