"""A value the domain refuses, and where it sits: one exception for spaces, regions, values to
store and import documents, so every way in (API, CLI, workers) reports them alike and the API
renders each as a 422 naming the field, from one handler."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

Loc = tuple[str | int, ...]


class Problem(ValueError):
    """`problem` is why; `loc` the path of keys and indexes to the offending value."""

    def __init__(self, loc: Iterable[str | int], problem: str) -> None:
        self.loc: Loc = tuple(loc)
        self.problem = problem
        super().__init__(self.text())

    def text(self) -> str:
        """`where: why`, or just why at the top."""
        where = ".".join(str(p) for p in self.loc)
        return f"{where}: {self.problem}" if where else self.problem

    def under(self, *prefix: str | int) -> Self:
        """The same problem, located inside `prefix` (a field of a request, say)."""
        self.loc = (*prefix, *self.loc)
        self.args = (self.text(),)
        return self
