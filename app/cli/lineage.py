"""`hyperzoom experiment lineage` and `hyperzoom search compare`: did zooming pay off?

A child's gain is measured against its parent's best *within the child's region* (the parent's
trials inside the child's box), not the parent's overall best, which may lie elsewhere: the
numbers are the API's (`/api/experiments/{id}/lineage`, `/api/searches/compare`).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Column, Table

from app.cli.errors import friendly
from app.cli.experiments import (
    DbOption,
    ServerOption,
    TokenOption,
    beaten,
    connect,
    fmt,
    gain_cells,
    out,
    region_text,
    signed,
)

RELATIONS = {
    "same": "the same search",
    "ancestor": "search {a} is an ancestor of search {b}",
    "descendant": "search {a} descends from search {b}",
    "unrelated": "neither descends from the other: their bests are compared",
}


def depth_first(searches: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """(search, depth) with each search's refinements right under it, as the page's tree."""
    children: dict[int | None, list[dict[str, Any]]] = {}
    for s in searches:
        children.setdefault(s["parent_id"], []).append(s)

    def visit(s: dict[str, Any], depth: int) -> list[tuple[dict[str, Any], int]]:
        below = [row for c in children.get(s["id"], []) for row in visit(c, depth + 1)]
        return [(s, depth), *below]

    return [row for s in children.get(None, []) for row in visit(s, 0)]


@friendly
def experiment_lineage(
    experiment_id: Annotated[int, typer.Argument(help="The experiment.")],
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """One row per search: trials spent, best, and each refinement's gain over its parent's
    best within its region, with the trials it took to beat it."""
    with connect(db, server, token) as api:
        found = api.get(f"/api/experiments/{experiment_id}/lineage")
        tree = api.get(f"/api/experiments/{experiment_id}")["searches"]
    regions = {s["id"]: s["region"] for s in tree}
    numbers = {"justify": "right", "no_wrap": True}
    table = Table(
        Column("search", no_wrap=True),
        Column("parent", **numbers),
        Column("after", **numbers),
        Column("trials", **numbers),
        Column("best", **numbers),
        Column("parent\nbest", **numbers),
        Column("gain", **numbers),
        Column("to beat", **numbers),
        Column("region", overflow="fold"),
        title=f"experiment {experiment_id} ({found['direction']}; a gain > 0 is better)",
        caption="after: the parent's trials finished when the search was made; parent best: "
        "the parent's best among its trials inside the search's region; to beat: the "
        "search's trials up to the first that beat it",
    )
    for s, depth in depth_first(found["searches"]):
        gain = s["gain"] or {}
        table.add_row(
            "  " * depth + ("↳ " if depth else "") + str(s["id"]),
            str(s["parent_id"] or "–"),
            "–" if s["parent_id"] is None else str(s["at_creation"]),
            str(s["trials"]),
            fmt(s["best"]),
            fmt(gain.get("baseline")),
            *gain_cells(s),
            escape(region_text(regions.get(s["id"]))),
        )
    out.print(table)


@friendly
def search_compare(
    a: Annotated[int, typer.Argument(help="A search, typically the parent.")],
    b: Annotated[int, typer.Argument(help="Another search of the same experiment (the child).")],
    db: DbOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """The gain table of two searches: the later one's best against the earlier one's best in
    its region (or, when neither descends from the other, against its best)."""
    with connect(db, server, token) as api:
        found = api.get("/api/searches/compare", a=a, b=b)
    out.print(RELATIONS[found["relation"]].format(a=a, b=b), highlight=False)
    out.print(gain_table(found))


def gain_table(found: dict[str, Any]) -> Table:
    """Both searches as rows, and the gain in a row of its own."""
    gain = found["gain"]
    searches = {found["a"]["id"]: found["a"], found["b"]["id"]: found["b"]}
    numbers = {"justify": "right", "no_wrap": True}
    table = Table(
        *(Column(name, **numbers) for name in ("search", "parent", "trials", "complete", "best")),
        title=f"{found['direction']} (a gain > 0 is better)",
    )
    for s in searches.values():
        table.add_row(
            str(s["id"]),
            str(s["parent_id"] or "–"),
            str(s["trials"]),
            str(s["complete"]),
            fmt(s["best"]),
        )
    spent = searches[gain["search_id"]]["trials"]
    gains = Table(
        Column("search", **numbers),
        Column("over", **numbers),
        Column("baseline", **numbers),
        Column("best", **numbers),
        Column("gain", **numbers),
        Column("to beat", **numbers),
        caption=(
            f"baseline: search {gain['baseline_search_id']}'s best among its trials inside "
            f"search {gain['search_id']}'s region"
            if gain["basis"] == "region"
            else f"baseline: search {gain['baseline_search_id']}'s best"
        ),
    )
    gains.add_row(
        str(gain["search_id"]),
        str(gain["baseline_search_id"]),
        fmt(gain["baseline"]),
        fmt(gain["best"]),
        signed(gain["gain"]),
        "–" if gain["baseline"] is None else beaten(gain["trials_to_beat"], spent),
    )
    grid = Table.grid(padding=(1, 0))
    grid.add_row(table)
    grid.add_row(gains)
    return grid
