"""Bring an Optuna study in from Python, as `hyperzoom import-optuna` does from a terminal."""

from __future__ import annotations

import warnings

from hyperzoom.connection import connect
from hyperzoom.errors import HyperzoomError
from hyperzoom.search import Search, open_search


class ImportNotice(UserWarning):
    """Something of the study was mapped or left out (several objectives, running trials, a
    None choice): warned, so the import goes on and the caller sees it."""


def import_optuna(
    storage: str,
    study: str | None = None,
    *,
    objective: str | None = None,
    db: str | None = None,
    server: str | None = None,
    token: str | None = None,
) -> Search:
    """Import the Optuna study `study` (needed when the storage holds several) from the RDB
    storage URL `storage` (e.g. "sqlite:///optuna.db") as a new experiment; return its search.

    The study's trials, values, states and learning curves become the search's, its
    distributions its space (log scales kept). `objective` names what refinements run for
    workers (default "optuna:STUDY"); `optimize` on the search or a refinement of it runs any
    Python function. What was mapped or left out is warned as ImportNotice. Needs Optuna.
    """
    from app.store.optuna_study import OptunaImportError, optuna_document

    try:
        document, notices = optuna_document(storage, study, objective=objective)
    except OptunaImportError as exc:
        raise HyperzoomError(str(exc)) from None
    connection = connect(db, server, token)
    created = connection.post("/api/experiments/import", document)
    for notice in notices:
        warnings.warn(notice, ImportNotice, stacklevel=2)
    root = min(s["id"] for s in created["searches"])
    return open_search(root, db=db, server=server, token=token)
