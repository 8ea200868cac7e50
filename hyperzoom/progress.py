"""The progress bar of `optimize`: rich, live in a terminal and in Jupyter (through
ipywidgets; without it, one summary line at the end instead of rich's advice to install it);
silent when turned off."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.core.states import TrialState

if TYPE_CHECKING:
    from app.store.claims import Claim
    from app.worker.trial import Outcome


class TrialsBar:
    """Trials finished by this call out of those it may run, the best value so far among them,
    and how many failed or were pruned. Fed from every worker thread."""

    def __init__(self, label: str, total: int | None, direction: str, show: bool) -> None:
        self.label, self.total, self.direction = label, total, direction
        self.done, self.best = 0, None  # best: a float once a trial completes
        self.counts = {TrialState.FAILED: 0, TrialState.PRUNED: 0}
        self._lock = threading.Lock()
        self.console = Console(stderr=True)
        live = show and (not self.console.is_jupyter or _has_widgets())
        self._summary = show and not live
        self._progress = (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=self.console,
            )
            if live
            else None
        )
        self._task = (
            self._progress.add_task(label, total=total, status="")
            if self._progress is not None
            else None
        )

    def __enter__(self) -> TrialsBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self._summary:
            status = self.status()
            tail = f" · {status}" if status else ""
            self.console.print(f"{self.label}: {self.done}/{self.total} trials{tail}")

    def record(self, claim: Claim, outcome: Outcome) -> None:
        """Count one finished trial (a worker's `on_result`)."""
        with self._lock:
            self.done += 1
            if outcome.state in self.counts:
                self.counts[outcome.state] += 1
            if outcome.state is TrialState.COMPLETE and outcome.value is not None:
                better = max if self.direction == "maximize" else min
                self.best = (
                    outcome.value if self.best is None else better(self.best, outcome.value)
                )
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, advance=1, status=self.status())

    def status(self) -> str:
        """`best 0.0123 · 2 failed · 5 pruned`, leaving out what is zero."""
        parts = [] if self.best is None else [f"best {self.best:.6g}"]
        parts += [f"{n} {state.value}" for state, n in self.counts.items() if n]
        return " · ".join(parts)


def _has_widgets() -> bool:
    """Whether rich can draw live in Jupyter (it needs ipywidgets)."""
    import importlib.util

    return importlib.util.find_spec("ipywidgets") is not None
