"""README's "From Python" section is true word for word: its Python blocks run, in order, in
a fresh directory, as a user would paste them into files (warnings are errors)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(section: str) -> list[str]:
    """The ```python blocks of README's section `section` (up to the next `## `)."""
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start : end if end > 0 else None], re.S)


@pytest.mark.slow
def test_the_from_python_section_runs(tmp_path: Path) -> None:
    blocks = python_blocks("From Python")
    assert len(blocks) == 2 and "import hyperzoom as hz" in blocks[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERZOOM_")}
    outputs = []
    for i, block in enumerate(blocks):
        script = tmp_path / f"block{i}.py"
        script.write_text(block)
        run = subprocess.run(
            [sys.executable, "-W", "error", script.name],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0].startswith("{'params': {'lr': ")
    assert outputs[1].startswith("{'C': ") and outputs[1].rstrip().endswith("[0 0 0 0 0]")
    assert (tmp_path / "runs.db").exists()
