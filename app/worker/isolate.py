"""Evaluate objectives in a child process: an exception, a segfault, `os._exit`, a hang past
the timeout or running out of memory fails that one trial, never the worker.

One long-lived child per worker keeps the cost low (imports happen once); it is replaced after
any crash or timeout. Whatever an objective starts (a helper, a daemon that called setsid) ends
with its trial: on success, failure, timeout, a stopped worker and a worker killed with -9
(app.worker.reap says how, and what stays out of reach).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from app.core.states import TrialState
from app.objectives import ObjectiveSpec
from app.worker.reap import (
    become_subreaper,
    end_descendants,
    end_tree,
    reap_children,
    watch_parent,
)
from app.worker.trial import Outcome, TrialHandle, TrialPruned, call_objective, interpret, pruned

Report = Callable[[int, float], bool]
Cancelled = Callable[[], bool]
_POLL = 0.05


class Sandbox:
    """Runs one evaluation at a time in a child process it owns."""

    def __init__(self, memory_limit_mb: int | None = None) -> None:
        self.memory_limit_mb = memory_limit_mb
        self._process: Any = None
        self._conn: Connection | None = None
        # Objectives the current child already holds, as it holds them (a claim may change a
        # spec's metric: then the spec crosses again).
        self._sent: dict[str, ObjectiveSpec] = {}

    def _start(self) -> Connection:
        if self._process is None or not self._process.is_alive():
            # spawn, not fork: the worker holds threads and database connections.
            ctx = mp.get_context("spawn")
            parent, child = ctx.Pipe()
            self._process = ctx.Process(
                target=_child_main, args=(child, self.memory_limit_mb), daemon=True
            )
            self._process.start()
            child.close()
            self._conn, self._sent = parent, {}
        assert self._conn is not None
        return self._conn

    def evaluate(
        self,
        spec: ObjectiveSpec,
        params: dict[str, Any],
        report: Report,
        *,
        timeout: float | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> Outcome | None:
        """Run the objective; None when `cancelled()` turned true (the result is not wanted)."""
        conn = self._start()
        # Each objective's spec crosses the pipe once per child; later trials name it.
        conn.send((spec.name, None if self._sent.get(spec.name) == spec else spec, params))
        self._sent[spec.name] = spec
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if cancelled():
                self.kill()
                return None
            if deadline is not None and time.monotonic() > deadline:
                self.kill()
                return Outcome(TrialState.FAILED, error=f"timed out after {timeout:g} s")
            if not conn.poll(_POLL):
                if not self._process.is_alive():
                    return self._crashed()
                continue
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return self._crashed()
            if message[0] == "report":
                conn.send(report(message[1], message[2]))
            else:
                return message[1]

    def load(self, spec: ObjectiveSpec) -> str | None:
        """Load the objective in the child now; why it cannot be loaded, in one line, or None.
        A worker does this at its start, so a missing file, a syntax error or a name that is no
        function stops it with the reason instead of failing every trial; the child keeps what
        it loaded for the trials."""
        conn = self._start()
        conn.send((spec.name, None if self._sent.get(spec.name) == spec else spec, None))
        self._sent[spec.name] = spec
        while not conn.poll(_POLL):
            if not self._process.is_alive():
                return f"objective {spec.name!r}: while loading it, {self._crashed().error}"
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return f"objective {spec.name!r}: while loading it, {self._crashed().error}"
        return message[1]

    def _crashed(self) -> Outcome:
        self._process.join(5)
        code = self._process.exitcode
        _kill_group(self._process.pid)  # its helpers outlive it; those in its group end here
        self._discard()
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            hint = " (out of memory, or killed)" if name == "SIGKILL" else ""
            reason = f"the objective's process was killed by {name}{hint}"
        else:
            reason = f"the objective's process exited with code {code} before returning"
        return Outcome(TrialState.FAILED, error=reason)

    def kill(self) -> None:
        """Stop the child and anything it started (a command objective's process) now; the
        next evaluation starts a fresh child."""
        if self._process is not None and self._process.is_alive():
            end_tree(self._process.pid)  # the child, its group and all below it
            self._process.join(5)
        self._discard()

    def _discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None

    def close(self) -> None:
        """Ask the child to exit, then make sure it has."""
        if self._conn is not None and self._process is not None and self._process.is_alive():
            try:
                self._conn.send(None)
                self._process.join(2)
            except (BrokenPipeError, OSError):
                pass
        self.kill()


def _kill_group(pgid: int) -> None:
    """SIGKILL a process group that may be gone already."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _child_main(conn: Connection, memory_limit_mb: int | None) -> None:
    # A session of its own: Ctrl-C at the terminal reaches the worker, which decides what
    # happens to the trial. A subreaper, so what the objective leaves behind stays below it.
    os.setsid()
    become_subreaper()
    watch_parent()  # a worker killed with -9: end everything below, then this process
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_limit_mb:
        import resource

        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    specs: dict[str, ObjectiveSpec] = {}
    while True:
        message = conn.recv()
        if message is None:
            return
        name, spec, params = message
        if spec is not None:
            specs[name] = spec
        if params is None:  # load only (Sandbox.load)
            from app.worker.registry import load_problem

            conn.send(("loaded", load_problem(specs[name])))
            continue
        outcome = run_objective(specs[name], params, _remote_report(conn))
        end_descendants(os.getpid())  # the trial is over, and so is all it started
        reap_children()
        conn.send(("done", outcome))


def _remote_report(conn: Connection) -> Report:
    def send(step: int, value: float) -> bool:
        conn.send(("report", step, value))
        return bool(conn.recv())

    return send


def run_objective(spec: ObjectiveSpec, params: dict[str, Any], report: Report) -> Outcome:
    """Load and call the objective, turning whatever happens into an Outcome."""
    from app.worker.registry import ObjectiveError, load_callable

    trial = TrialHandle(report)
    try:
        result = call_objective(load_callable(spec), dict(params), trial)
    except TrialPruned:
        return pruned(trial)
    except ObjectiveError as exc:  # no file, no such function: the reason says it all
        return Outcome(TrialState.FAILED, error=str(exc))
    except MemoryError:
        return Outcome(TrialState.FAILED, error="out of memory:\n" + traceback.format_exc())
    except Exception:
        if trial.should_prune:
            return pruned(trial)
        return Outcome(TrialState.FAILED, error=traceback.format_exc())
    return read_result(result, spec, trial)


def read_result(result: Any, spec: ObjectiveSpec, trial: TrialHandle) -> Outcome:
    """`interpret`, with anything a strange result makes it raise as the trial's reason: in
    the child, an exception here would end the process and the reason with it."""
    try:
        return interpret(result, getattr(spec, "metric", None), trial)
    except Exception:
        return Outcome(
            TrialState.FAILED,
            error="the objective's result could not be read:\n" + traceback.format_exc(),
        )


class InProcess:
    """Evaluate in the worker's own process: for objectives given as Python callables (tests,
    notebooks), with no isolation and no timeout."""

    def __init__(self, functions: dict[str, Callable[..., Any]]) -> None:
        self.functions = functions

    def evaluate(
        self,
        spec: ObjectiveSpec,
        params: dict[str, Any],
        report: Report,
        *,
        timeout: float | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> Outcome | None:
        """Call the function directly."""
        trial = TrialHandle(report)
        try:
            result = call_objective(self.functions[spec.name], dict(params), trial)
        except TrialPruned:
            return pruned(trial)
        except Exception:
            return Outcome(TrialState.FAILED, error=traceback.format_exc())
        return read_result(result, spec, trial)

    def close(self) -> None:
        """Nothing to release."""
