"""Changing experiments and searches: rename, delete (with confirmation), new root searches,
stop and resume, and the search tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import Authorized, DefaultPolicy
from app.api.errors import ERRORS, WRITE_ERRORS, documented, from_space_error
from app.api.schemas import (
    ExperimentRead,
    SearchCreate,
    SearchRead,
    Space,
    space_json,
)
from app.api.views import experiment_read, search_reads
from app.core.space import SearchSpace, SpaceError
from app.serving import ExperimentId, SearchId, SessionDep
from app.store import experiments as store
from app.store import manage

router = APIRouter(prefix="/api", tags=["manage"])


class ExperimentRename(BaseModel):
    """A new name."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "v2"}]})

    name: Annotated[str, Field(min_length=1, max_length=200)]


class RootSearchCreate(SearchCreate):
    """A new search from scratch; `space` defaults to the experiment's."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"sampler": "sobol", "n_trials": 64, "seed": 7}]},
    )

    space: Space | None = None


class SearchNode(BaseModel):
    """A search and the searches refined from it."""

    search: SearchRead
    children: list[SearchNode]


@router.patch(
    "/experiments/{experiment_id}",
    response_model=ExperimentRead,
    dependencies=[Authorized],
    responses=WRITE_ERRORS,
)
def rename_experiment(
    experiment_id: ExperimentId, body: ExperimentRename, session: SessionDep
) -> ExperimentRead:
    """Rename an experiment."""
    return experiment_read(session, manage.rename_experiment(session, experiment_id, body.name))


@router.delete(
    "/experiments/{experiment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Authorized],
    responses=WRITE_ERRORS,
)
def delete_experiment(
    experiment_id: ExperimentId,
    session: SessionDep,
    confirm: Annotated[
        str | None, Query(max_length=200, description="The experiment's name, to confirm.")
    ] = None,
) -> Response:
    """Delete an experiment with all its searches and trials (409 unless `confirm` is its name)."""
    manage.delete_experiment(session, experiment_id, confirm)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/experiments/{experiment_id}/searches",
    status_code=status.HTTP_201_CREATED,
    response_model=SearchRead,
    dependencies=[Authorized],
    responses=WRITE_ERRORS,
)
def create_root_search(
    experiment_id: ExperimentId, body: RootSearchCreate, session: SessionDep, policy: DefaultPolicy
) -> SearchRead:
    """Start a new search from scratch (a new root of the tree)."""
    try:
        space = SearchSpace.from_dict(space_json(body.space)) if body.space else None
        search = store.add_root_search(
            session,
            experiment_id,
            space=space,
            sampler=body.sampler,
            sampler_options=body.options,
            pruner=body.pruner,
            n_trials=body.n_trials,
            seed=body.seed,
            policy=body.policy(policy),
        )
    except SpaceError as exc:
        raise from_space_error(["body"], exc) from exc
    return search_reads(session, [search])[0]


@router.get("/experiments/{experiment_id}/tree", response_model=list[SearchNode], responses=ERRORS)
def search_tree(experiment_id: ExperimentId, session: SessionDep) -> list[SearchNode]:
    """The experiment's searches as a tree: coarse → fine → finer."""
    searches = search_reads(session, store.get_experiment(session, experiment_id).searches)
    children: dict[int | None, list[SearchRead]] = {}
    for s in searches:
        children.setdefault(s.parent_id, []).append(s)

    def node(s: SearchRead) -> SearchNode:
        return SearchNode(search=s, children=[node(c) for c in children.get(s.id, [])])

    return [node(s) for s in children.get(None, [])]


@router.post(
    "/searches/{search_id}/stop",
    response_model=SearchRead,
    dependencies=[Authorized],
    responses=documented(401, 404, 409),
)
def stop_search(search_id: SearchId, session: SessionDep) -> SearchRead:
    """Hand out no more trials; running ones finish and are recorded."""
    return search_reads(session, [manage.stop_search(session, search_id)])[0]


@router.post(
    "/searches/{search_id}/resume",
    response_model=SearchRead,
    dependencies=[Authorized],
    responses=documented(401, 404, 409),
)
def resume_search(search_id: SearchId, session: SessionDep) -> SearchRead:
    """Let workers pick a stopped search up again."""
    return search_reads(session, [manage.resume_search(session, search_id)])[0]
