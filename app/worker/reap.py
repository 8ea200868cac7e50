"""End what an objective started when its trial ends, without cgroups (Linux; elsewhere these
are no-ops): the evaluating process is a child subreaper, so a helper it forked, and a daemon
that forked, called setsid and lost its parent, stay its descendants in /proc; ending the trial
kills every descendant. What stays out of reach: a process that escapes while its ancestors are
being killed (rare: the evaluation is stopped first), and a descendant of an evaluating process
that itself died at once (SIGKILL from the out-of-memory killer, a segfault), which the kernel
hands to init before anyone can see it; those in its process group are still killed."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_ROUNDS = 50  # kill passes at most: each pass also catches what was forked during the last one


def _prctl(option: int, value: int) -> bool:
    """prctl(2), or False where there is none."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def become_subreaper() -> None:
    """Adopt orphaned descendants (a daemon's double fork) so they can be found and ended."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Ask Linux to send `signum` when the parent dies; exit now if it already has."""
    parent = os.getppid()
    if _prctl(_PR_SET_PDEATHSIG, signum) and os.getppid() != parent:
        os._exit(1)


def children(pid: int) -> list[int]:
    """The running (not zombie) children of `pid`, from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:  # gone meanwhile
            continue
    return [p for p in found if not _zombie(p)]


def _zombie(pid: int) -> bool:
    """Whether `pid` has ended already (a zombie) or is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except (OSError, IndexError):
        return True


def descendants(pid: int) -> list[int]:
    """Every running process below `pid`, parents before their children."""
    found, queue = [], children(pid)
    while queue:
        found += queue
        queue = [c for p in queue for c in children(p)]
    return found


def end_descendants(pid: int) -> int:
    """SIGKILL everything below `pid` (which stays alive), pass after pass until nothing is
    left; returns how many processes were killed."""
    if pid == os.getpid() and not _has_children():
        return 0  # the usual case after a trial: one system call, no walk through /proc
    killed = 0
    for _ in range(_ROUNDS):
        below = descendants(pid)
        if not below:
            break
        for child in below:
            _kill(child, signal.SIGSTOP)  # freeze first: a stopped process cannot fork
        for child in below:
            killed += _kill(child, signal.SIGKILL)
        if pid == os.getpid():
            reap_children()
        else:
            time.sleep(0.01)  # let their parent (or init) collect them
    return killed


def _has_children() -> bool:
    """Whether this process has a child, running or ended: a subreaper's descendants always
    include one (a grandchild whose parent died is adopted), so none means none below."""
    try:
        os.waitpid(-1, os.WNOHANG)  # collects an ended child if there is one: harmless here
    except ChildProcessError:
        return False
    return True


def _kill(pid: int, signum: int) -> int:
    """os.kill, 1 if it was delivered."""
    try:
        os.kill(pid, signum)
        return 1
    except (ProcessLookupError, PermissionError):
        return 0


def reap_children() -> None:
    """Collect the exit status of every ended child (adopted orphans included), so no zombie
    stays behind in this long-lived process."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_tree(pid: int) -> None:
    """End process `pid`, its process group and every descendant: freeze it, kill below it
    while it still adopts orphans, then kill it."""
    try:
        os.killpg(pid, signal.SIGSTOP)
    except (ProcessLookupError, PermissionError):
        pass
    end_descendants(pid)
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def watch_parent(every: float = 0.1) -> None:
    """A thread that, once this process's parent is gone (a worker killed with -9), ends every
    descendant and this process: PR_SET_PDEATHSIG would kill this process at once, leaving its
    helpers to init."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        end_descendants(os.getpid())
        os._exit(1)

    threading.Thread(target=watch, name="hyperzoom-parent-watch", daemon=True).start()
