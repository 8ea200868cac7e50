"""Installed packages register objectives through the `hyperzoom.objectives` entry points."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.worker.registry import ENTRY_POINT_GROUP, load_callable, registered


def test_an_installed_package_registers_its_objective(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plugin_objectives.py").write_text(
        '''
def score(params):
    """Accuracy of the plugin's model."""
    return 1 - params["x"]

score.direction = "maximize"
score.space = {"x": {"type": "float", "low": 0.0, "high": 1.0}}
'''
    )
    dist = tmp_path / "plugin_objectives-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: plugin-objectives\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nplugin-score = plugin_objectives:score\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "plugin-score" not in registered()
    spec = registered(plugins=True)["plugin-score"]
    assert (spec.direction, spec.description) == ("maximize", "Accuracy of the plugin's model.")
    assert spec.space == {"x": {"type": "float", "low": 0.0, "high": 1.0}}
    assert load_callable(spec)({"x": 0.25}) == 0.75
