"""Idempotent refines: the first answer for an `Idempotency-Key` is the answer for every retry."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.orm import Session

from app.store.models import RefineKey


class KeyReused(ValueError):
    """The key was already used for another refine (another parent or body)."""


def digest(parent_id: int, body: dict[str, Any]) -> str:
    """What a key stands for: the parent and the request body, canonically."""
    text = json.dumps([parent_id, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def replay(session: Session, key: str, request: str) -> dict[str, Any] | None:
    """The stored answer for `key`, or None if the key is new; KeyReused if it meant another."""
    found = session.get(RefineKey, key)
    if found is None:
        return None
    if found.request != request:
        raise KeyReused("was already used for a different refine: send a new key")
    return found.response


def claim(session: Session, key: str, request: str) -> None:
    """Take the key before creating anything; a concurrent claim fails with IntegrityError."""
    session.add(RefineKey(key=key, request=request))
    session.flush()


def record(session: Session, key: str, search_id: int, response: dict[str, Any]) -> None:
    """Store the answer the claimed key's refine got."""
    found = session.get(RefineKey, key)
    assert found is not None, "record() follows claim() in the same transaction"
    found.search_id, found.response = search_id, response
