"""What the experiment page asks for before its scripts run: the trials' first reads and the
whole module graph up front, and plotly.js compressed once and cached for good."""

from __future__ import annotations

import gzip
import re

import plotly
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.pages import PLOTLY_JS
from tests.support.bodies import body

TOKEN = "page-token"


def links(page: str, rel: str) -> list[str]:
    """The href of every <link rel=`rel`> of the page, without the origin."""
    hrefs = re.findall(rf'<link rel="{rel}"[^>]*href="([^"]+)"', page)
    return [re.sub(r"^https?://[^/]+", "", href) for href in hrefs]


def test_the_page_preloads_its_first_reads_and_every_module(client: TestClient) -> None:
    created = client.post("/api/experiments", json=body(name="x")).json()
    page = client.get(f"/experiments/{created['id']}").text
    base = f"/api/experiments/{created['id']}"
    # The same URLs experiment.js fetches first, or the browser would fetch them twice.
    assert links(page, "preload") == [f"{base}/tree", base]
    assert page.count('as="fetch" crossorigin') == 2
    # The trials' read asks for binary columns, which a preload cannot: a script file starts
    # it, for api.js's getColumns to take over (the same URL as experiment.js's first read).
    columns = f"{base}/trials/columns?since=0"
    assert f'js/earlyreads.js" data-columns="{columns}"></script>' in page
    assert "<script>" not in page  # nothing inline
    modules = links(page, "modulepreload")
    for path in ("experiment.js", "scatter.js", "regionpanel.js", "views/splom.js", "format.js"):
        assert f"/static/js/{path}" in modules, path
    assert len(modules) == len(set(modules))
    for url in modules:
        assert client.get(url).status_code == 200, url
    # Every module the page's scripts import is named (none is found one level at a time).
    for url in modules:
        source = client.get(url).text
        for imported in re.findall(r'from "(\.{1,2}/[^"]+)"', source):
            folder = url.rsplit("/", 1)[0]
            resolved = re.sub(r"/[^/]+/\.\./", "/", f"{folder}/{imported}").replace("/./", "/")
            assert resolved in modules, (url, imported)
    assert '<script id="plotly-js" async' in page


def test_a_page_behind_a_token_preloads_no_reads(settings: Settings) -> None:
    protected = Settings(database_url=settings.database_url, token=TOKEN, protect_reads=True)
    with TestClient(create_app(protected)) as c:
        page = c.get("/experiments/1").text
    assert links(page, "preload") == []  # they would be a 401 each, fetched for nothing
    assert "earlyreads.js" not in page
    assert "/static/js/experiment.js" in links(page, "modulepreload")


def test_plotly_is_served_gzipped_once_and_cached_for_good(client: TestClient) -> None:
    url = f"plotly-{plotly.__version__}.min.js"
    plain = PLOTLY_JS.read_bytes()
    zipped = client.get(f"/vendor/{url}", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["content-type"].startswith("text/javascript")
    assert zipped.content == plain  # httpx decompresses
    assert int(zipped.headers["content-length"]) < len(plain) / 3
    with client.stream("GET", f"/vendor/{url}", headers={"Accept-Encoding": "gzip"}) as raw:
        assert gzip.decompress(b"".join(raw.iter_raw())) == plain
    identity = client.get(f"/vendor/{url}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in identity.headers
    assert identity.content == plain
    assert identity.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_static_modules_are_revalidated_not_reused_blindly(client: TestClient) -> None:
    first = client.get("/static/js/experiment.js")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"  # no build step: no version in URLs
    etag = first.headers["etag"]
    again = client.get("/static/js/experiment.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "no-cache"
    assert again.content == b""
