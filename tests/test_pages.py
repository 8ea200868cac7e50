"""Pages render, escape what users typed, and serve plotly.js from the installed package."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import plotly
from fastapi.testclient import TestClient

from tests.support.bodies import body

NASTY = "<img src=x onerror=alert(1)>"


def test_experiment_list_escapes_names(client: TestClient) -> None:
    assert "No experiments yet" in client.get("/").text
    client.post("/api/experiments", json=body(name=NASTY))
    page = client.get("/").text
    assert NASTY not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_experiment_page_loads_plotly_locally(client: TestClient) -> None:
    created = client.post("/api/experiments", json=body(name=NASTY)).json()
    page = client.get(f"/experiments/{created['id']}").text
    assert NASTY not in page
    src = f"/vendor/plotly-{plotly.__version__}.min.js"
    script = re.search(r'<script id="plotly-js"[^>]*\ssrc="([^"]+)"', page)
    assert script is not None, "the page loads plotly.js with a script tag"
    served = urlsplit(script.group(1))
    assert (served.netloc, served.path) == ("testserver", src)  # this server, not a CDN
    assert "cdn" not in page.lower()
    js = client.get(src)
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert b"plotly.js" in js.content[:200]
    assert client.get("/static/js/experiment.js").status_code == 200


def test_missing_experiment_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/experiments/77", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "experiment 77 not found" in response.text
    assert "<html" in response.text


def test_the_experiment_page_renders_its_note_escaped(client: TestClient) -> None:
    note = f"{NASTY}</textarea></script><script>alert(2)</script>"
    created = client.post("/api/experiments", json=body(note=note)).json()
    page = client.get(f"/experiments/{created['id']}").text
    assert (
        NASTY not in page and "<script>alert(2)" not in page and "</textarea></script>" not in page
    )
    textarea = re.search(r'<textarea id="experiment-note-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert textarea is not None
    assert textarea.group(1) == (
        "&lt;img src=x onerror=alert(1)&gt;&lt;/textarea&gt;&lt;/script&gt;"
        "&lt;script&gt;alert(2)&lt;/script&gt;"
    )
