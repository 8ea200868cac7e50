"""The body check refuses exactly the lone surrogate escapes (issue 14, item 10's bug): an
escaped backslash followed by "udcff" is ordinary text, a paired escape is an emoji."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.support.bodies import body

# Each raw JSON string body, and whether json.loads makes it hold a lone surrogate.
CASES = [
    (r'"\ud800"', True),
    (r'"\udcff"', True),
    (r'"\uDBFF x"', True),
    (r'"\\\udcff"', True),  # a literal backslash, then a real lone escape
    (r'"\ud83d\\ude00"', True),  # the low half is literal text
    (r'"\ude00\ud83d"', True),  # halves in the wrong order
    (r'"\ud83d\ud83d\ude00"', True),  # a high, then a pair
    (r'"path \\udcff"', False),  # the bug: an escaped backslash, then text
    (r'"\\\\ud800"', False),
    (r'"\ud83d\ude00"', False),
    (r'"\uD83D\uDE00\u00e9\n\\"', False),
    (r'"\\\ud800\udc00"', False),
    (r'"\u00d8\u0dff"', False),
]


@pytest.mark.parametrize(("text", "lone"), CASES)
def test_only_a_real_lone_surrogate_escape_is_refused(
    client: TestClient, text: str, lone: bool
) -> None:
    name = json.loads(text)
    assert any(0xD800 <= ord(c) <= 0xDFFF for c in name) is lone  # the case itself is right
    raw = json.dumps(body(name="@")).replace('"@"', text)
    response = client.post(
        "/api/experiments", content=raw, headers={"Content-Type": "application/json"}
    )
    if lone:
        assert response.status_code == 422
        assert response.json()["detail"][0]["type"] == "unicode_error"
    else:
        assert response.status_code == 201, response.text
        assert response.json()["name"] == name
