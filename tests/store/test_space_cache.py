"""An ask parses its search's space once, not every time (issue 14, item 8)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.core.space import SearchSpace
from app.store.claims import ask
from app.store.experiments import create_experiment
from app.store.models import Direction
from app.store.searches import SearchSettings

SPEC = {
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "c": {"type": "categorical", "choices": [f"v{i}" for i in range(1000)]},
}


def test_asks_share_one_parsed_space(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    create_experiment(
        session,
        name="cache",
        objective="bowl",
        direction=Direction.MINIMIZE,
        space=SearchSpace.from_dict(SPEC),
        settings=SearchSettings(n_trials=10, seed=1),
    )
    parsed: list[Any] = []
    real = SearchSpace.from_dict.__func__  # type: ignore[attr-defined]

    def counting(cls: type[SearchSpace], spec: Any) -> SearchSpace:
        parsed.append(spec)
        return real(cls, spec)

    monkeypatch.setattr(SearchSpace, "from_dict", classmethod(counting))
    claims = [ask(session, objectives=None, worker="w") for _ in range(5)]
    assert all(c is not None and c.params["c"].startswith("v") for c in claims)
    assert len(parsed) <= 1  # the first ask (or none: another test cached the same search)
