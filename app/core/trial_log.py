"""The finished trials a sampler learns from, encoded once and kept in the order it replays them.

Samplers used to take a list of (params, value) and encode all of it on every ask, and zoom
then replayed its trust region over the whole list: an ask cost O(history), 41 ms at 1,000
trials and seconds at 10,000 (issue 16). A `TrialLog` is kept between asks instead: the store
merges in what finished since its last look, the log encodes only those trials, and it tells
samplers where the first change fell so they can keep whatever they derived from the trials
before it (zoom keeps checkpoints of its replay there).

Trials finish out of order (trial 7 of eight parallel workers may finish last), so a merge can
insert before the end: each trial carries an order key (its place in the replay: the ancestors'
trials first, then the search's own, by number) and the log stays sorted by it. What a sampler
memoised past an insertion is dropped; what lies before it stays valid, and that prefix is
everything but the last few trials in practice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np

from app.core.space import Params, SearchSpace

Row = tuple[int, Params, float | None]


class TrialLog(Sequence[tuple[Params, float | None]]):
    """Trials of one space, sorted by order key: their configurations encoded in the unit cube
    (`x`, NaN where inactive) and their losses (`y`, lower is better, +inf without a value).

    It is a `History` too (a sequence of (params, value)), so samplers that want the plain
    configurations read it as before. Trials that are not configurations of the space (a
    parent's outside it, an older space's) are left out when merged.
    """

    def __init__(self, space: SearchSpace, direction: str) -> None:
        self.space = space
        self.sign = -1.0 if direction == "maximize" else 1.0
        self._keys = np.zeros(0, dtype=np.int64)
        self._x = np.zeros((0, space.ndim))
        self._y = np.zeros(0)
        self._trials: list[tuple[Params, float | None]] = []
        # Samplers' derived state by name: lists of (position, state), ascending positions;
        # a state at position p was derived from the first p trials only.
        self._memo: dict[Any, list[tuple[int, Any]]] = {}

    @classmethod
    def of(
        cls, space: SearchSpace, history: Iterable[tuple[Params, float | None]], direction: str
    ) -> TrialLog:
        """A log of a plain history, in its order; a log of this space and direction as is."""
        if isinstance(history, TrialLog) and history.space is space:
            if history.sign == (-1.0 if direction == "maximize" else 1.0):
                return history
        log = cls(space, direction)
        log.merge((i, params, value) for i, (params, value) in enumerate(history))
        return log

    @property
    def x(self) -> np.ndarray:
        """(n, ndim) configurations in the unit cube; read-only."""
        return self._x

    @property
    def y(self) -> np.ndarray:
        """(n,) losses; read-only."""
        return self._y

    def __len__(self) -> int:
        return len(self._trials)

    @overload
    def __getitem__(self, i: int) -> tuple[Params, float | None]: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[tuple[Params, float | None]]: ...
    def __getitem__(self, i: int | slice) -> Any:
        return self._trials[i]

    def __iter__(self) -> Iterator[tuple[Params, float | None]]:
        return iter(self._trials)

    def merge(self, rows: Iterable[Row], gone: Iterable[int] = ()) -> int:
        """Add or replace trials by order key, drop the keys in `gone`; return the position
        of the first change (len(self) when nothing changed).

        Costs the encoding of the rows given plus one copy of the arrays when a trial lands
        before the end.
        """
        n = len(self)
        first = n
        gone_keys = np.array(sorted(set(gone)), dtype=np.int64)
        fresh = {key: (params, value) for key, params, value in rows}
        if not fresh and not len(gone_keys):
            return n
        drop = np.isin(self._keys, np.array(list(fresh), dtype=np.int64))
        drop |= np.isin(self._keys, gone_keys)
        if drop.any():
            first = int(np.argmax(drop))
            keep = ~drop
            self._keys, self._x, self._y = self._keys[keep], self._x[keep], self._y[keep]
            self._trials = [t for t, k in zip(self._trials, keep, strict=True) if k]
        added = [(k, p, v) for k, (p, v) in fresh.items() if self.space.contains(p)]
        if added:
            added.sort(key=lambda row: row[0])
            keys = np.array([k for k, _, _ in added], dtype=np.int64)
            x = np.array([self.space.encode(p) for _, p, _ in added]).reshape(-1, self.space.ndim)
            y = np.array([self._loss_of(k, v) for k, _, v in added])
            at = np.searchsorted(self._keys, keys)
            first = min(first, int(at[0]))
            self._keys = np.insert(self._keys, at, keys)
            self._x = np.insert(self._x, at, x, axis=0)
            self._y = np.insert(self._y, at, y)
            trials = self._trials
            for offset, (pos, (_, p, v)) in enumerate(zip(at.tolist(), added, strict=True)):
                trials.insert(pos + offset, (p, v))
        self._x.setflags(write=False)
        self._y.setflags(write=False)
        if first < n or len(self) != n:
            for states in self._memo.values():
                while states and states[-1][0] > first:
                    states.pop()
        return first

    def memo(self, name: Any) -> list[tuple[int, Any]]:
        """A sampler's checkpoints under `name`: (position, state) pairs, ascending, each
        derived from the first `position` trials; the log drops those a merge invalidates."""
        return self._memo.setdefault(name, [])

    def nbytes(self) -> int:
        """About what the log holds in memory, samplers' checkpoints included, for caches
        bounded by size."""
        held = self._x.nbytes + self._y.nbytes + self._keys.nbytes + 600 * len(self)
        for states in self._memo.values():
            held += sum(64 + _arrays_nbytes(state) for _, state in states)
        return int(held)

    def _loss_of(self, key: int, value: float | None) -> float:
        """The loss of the trial merged under `key` (a subclass may judge more than its value)."""
        return self._loss(value)

    def _loss(self, value: float | None) -> float:
        if value is None or not np.isfinite(value):
            return np.inf
        return self.sign * float(value)


def _arrays_nbytes(state: Any) -> int:
    """The bytes of the numpy arrays in a checkpoint (nested in tuples, lists or objects)."""
    if isinstance(state, np.ndarray):
        return int(state.nbytes)
    if isinstance(state, tuple | list):
        return sum(_arrays_nbytes(item) for item in state)
    if hasattr(state, "__dict__"):
        return _arrays_nbytes(tuple(vars(state).values()))
    return 0
