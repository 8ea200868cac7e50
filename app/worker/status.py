"""What a worker shows while it runs: a live status line on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.text import Text

from app.core.states import TrialState
from app.store.claims import Claim
from app.store.models import Direction
from app.worker.trial import Outcome


class WorkerStatus:
    """Counts this worker's trials and prints them (live when attached to a terminal)."""

    def __init__(self, name: str, console: Console | None = None) -> None:
        self.name = name
        self.console = console or Console()
        self.counts = {s: 0 for s in (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)}
        self.best: float | None = None
        self._live: Live | None = None

    def __enter__(self) -> WorkerStatus:
        if self.console.is_terminal and sys.stdout.isatty():
            self._live = Live(self._line(), console=self.console, refresh_per_second=4)
            self._live.__enter__()
        else:
            self.console.print(f"worker {self.name} started", highlight=False)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, exc, tb)
        self.console.print(f"worker {self.name} stopped: {self._summary()}", highlight=False)

    def record(self, claim: Claim, outcome: Outcome) -> None:
        """Count one finished trial and show it."""
        self.counts[outcome.state] += 1
        if outcome.state == TrialState.COMPLETE and outcome.value is not None:
            better = max if claim.direction is Direction.MAXIMIZE else min
            self.best = outcome.value if self.best is None else better(self.best, outcome.value)
        if self._live is not None:
            self._live.update(self._line())
            return
        value = "" if outcome.value is None else f" {outcome.value:.6g}"
        last = (outcome.error or "").strip().splitlines()[-1:]  # a blank error has no line
        reason = f" ({last[0]})" if last else ""
        # A plain line, not rich's print: that took 30 us a trial (a few % of a no-op trial),
        # and the reason is the objective's own text, to be shown as it is, brackets and all.
        line = (
            f"search {claim.search_id} trial {claim.number}: {outcome.state.value}{value}{reason}"
        )
        print(line, file=self.console.file, flush=True)

    def _summary(self) -> str:
        done = sum(self.counts.values())
        best = "–" if self.best is None else f"{self.best:.6g}"
        return (
            f"{done} trials ({self.counts[TrialState.FAILED]} failed, "
            f"{self.counts[TrialState.PRUNED]} pruned), best {best}"
        )

    def _line(self) -> Text:
        return Text(f"worker {self.name}: {self._summary()}")
