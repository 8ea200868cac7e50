"""The schema comes from Alembic, matches the models, and the app refuses a stale database."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.store.db import make_engine
from app.store.migrate import SchemaOutOfDate, alembic_config, check_schema, upgrade


def test_upgrade_from_empty_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    command.check(alembic_config(url))  # raises if the models and migrations disagree
    engine = make_engine(url)
    check_schema(engine)
    engine.dispose()


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'again.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    upgrade(url)


def test_the_app_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutOfDate, match="hyperzoom db upgrade"):
        with TestClient(create_app(settings)):
            pass
