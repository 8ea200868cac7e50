"""A least-recently-used cache bounded by the size of what it holds, not by a count.

`functools.lru_cache(maxsize=64)` bounds entries, and 64 entries of a design could each be
gigabytes (issue 14, item 7). Here every entry carries a weight (bytes, or a proxy) and the
oldest entries go once the total passes the budget; an entry heavier than the whole budget is
returned but not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """Values by key, evicting the least recently used past `budget` total weight."""

    def __init__(self, budget: int, weigh: Callable[[V], int]) -> None:
        self.budget = budget
        self.weigh = weigh
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._total = 0
        # Server requests run on a thread pool; the lock covers bookkeeping only, never `make`.
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value for `key`, made (outside the lock) and kept if it was missing."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        value = make()
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: V) -> None:
        """Keep `value`, then drop the oldest entries until the total fits the budget."""
        weight = self.weigh(value)
        if weight > self.budget:
            self.discard(key)  # not kept, nor an older value under its key
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._total -= old[1]
            self._entries[key] = (value, weight)
            self._total += weight
            while self._total > self.budget:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._total -= dropped

    def peek(self, key: Hashable) -> V | None:
        """The value kept for `key`, without making it the most recently used."""
        with self._lock:
            found = self._entries.get(key)
        return None if found is None else found[0]

    def discard(self, key: Hashable) -> None:
        """Forget `key`'s value, if kept."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._total -= old[1]

    @property
    def total(self) -> int:
        """The weight held now."""
        return self._total

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._entries.clear()
            self._total = 0


def nbytes(value: np.ndarray) -> int:
    """An array's weight: its bytes."""
    return int(value.nbytes)
