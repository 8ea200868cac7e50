"""Objectives that are commands: `python train.py --lr {learning_rate}` from hyperzoom.toml.

The template is split into arguments first and each argument is filled in separately, and no
shell is involved, so a parameter value can never inject a command. The command prints JSON
lines: `{"step": k, "value": v}` lines are intermediate values, the last other JSON line (a
number or an object holding the metric) is the result.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

from app.worker.trial import TrialHandle, TrialPruned

_STDERR_TAIL = 2000


class CommandFailed(RuntimeError):
    """The command exited non-zero or printed no result."""


def command_arguments(template: str, params: dict[str, Any]) -> list[str]:
    """The argument list for `params`; a missing parameter is a clear error."""
    try:
        return [arg.format_map(params) for arg in shlex.split(template)]
    except KeyError as exc:
        raise CommandFailed(
            f"the command template names {{{exc.args[0]}}}, which this trial does not have"
        ) from None


def make_command_objective(
    template: str, cwd: str | None = None
) -> Callable[[dict[str, Any], TrialHandle], Any]:
    """An objective function that runs `template` for each trial."""

    def run(params: dict[str, Any], trial: TrialHandle) -> Any:
        args = command_arguments(template, params)
        env = {**os.environ, "HYPERZOOM_PARAMS": json.dumps(params)}
        # stderr goes to a file: a chatty command must not block on a full pipe.
        with tempfile.TemporaryFile("w+") as errors:
            with subprocess.Popen(
                args,
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                # Safe with the evaluation's one other thread (it only sleeps and reads
                # /proc): the hook makes one prctl call before exec.
                preexec_fn=_die_with_parent,
            ) as process:
                result = _follow(process, trial)
                code = process.wait()
            errors.seek(0)
            stderr = errors.read()
        if trial.should_prune:
            raise TrialPruned()
        if code != 0:
            raise CommandFailed(f"{args[0]} exited with code {code}: {stderr[-_STDERR_TAIL:]}")
        if result is None:
            raise CommandFailed(f"{args[0]} printed no JSON result line")
        return result

    return run


def _die_with_parent() -> None:
    from app.worker.reap import die_with_parent

    die_with_parent()


def _follow(process: subprocess.Popen[str], trial: TrialHandle) -> Any:
    result = None
    assert process.stdout is not None
    for line in process.stdout:
        parsed = _json_line(line)
        if parsed is None:
            continue
        if isinstance(parsed, dict) and set(parsed) == {"step", "value"}:
            if trial.report(parsed["step"], parsed["value"]):
                process.terminate()
                break
        else:
            result = parsed
    return result


def _json_line(line: str) -> Any:
    line = line.strip()
    if not line or line[0] not in "{[-0123456789":
        return None
    try:
        return json.loads(line)
    except ValueError:
        return None
