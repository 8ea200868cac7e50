"""The unit tests of the page's pure JS modules (tests/js/*.test.mjs), run by node: no browser.

`node --test tests/js/` runs them alone. Node is Debian's `nodejs` package; without it they are
skipped, except under CI, where they must run: there a missing node fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_pure_js_modules_pass_their_node_unit_tests() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        reason = "node is not installed (Debian's `nodejs` package): the JS unit tests need it"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    run = subprocess.run(
        [node, "--test", "--test-reporter=spec", "tests/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, f"node --test tests/js/ failed:\n{run.stdout}\n{run.stderr}"
