"""Other sites cannot drive the server through a visitor's browser: a form on another origin
cannot stop a search (no preflight guards a body-less POST), and a name that resolves to the
server by DNS rebinding gets no answer (the Host header is checked)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.processes import running_server

pytestmark = pytest.mark.slow
REBOUND = "rebound.example"  # resolves to 127.0.0.1 in the test browser, as after rebinding


def new_search(url: str) -> int:
    """A fresh experiment on the server; its root search's id (queued: nobody works on it)."""
    body = {"name": "target", "objective": "bowl", "search": {"n_trials": 5}}
    created = httpx.post(f"{url}/api/experiments", json=body, timeout=10)
    assert created.status_code == 201, created.text
    return created.json()["root_search_id"]


def status(url: str, search_id: int) -> str:
    return httpx.get(f"{url}/api/searches/{search_id}", timeout=10).json()["status"]


class Attacker(ThreadingHTTPServer):
    """Another web server on another port: it serves whatever page `html` holds."""

    html = ""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        content = self.server.html.encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args: Any) -> None:
        """Quiet: pytest shows nothing useful from it."""


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    """The other site, on 127.0.0.1 and a free port of its own."""
    server = Attacker(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium in which REBOUND resolves to 127.0.0.1."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    rules = f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, rules])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("site", ["127.0.0.1", "localhost"], ids=["same-site", "cross-site"])
def test_a_form_on_another_origin_cannot_stop_a_search(
    live_server: str, attacker: Attacker, page: Any, site: str
) -> None:
    search_id = new_search(live_server)
    stop = f"{live_server}/api/searches/{search_id}/stop"
    attacker.html = (
        f'<form id="f" method="POST" action="{stop}"></form>'
        '<script>document.getElementById("f").submit()</script>'
    )
    with page.expect_response(stop) as answer:
        page.goto(f"http://{site}:{attacker.server_port}/")
    assert answer.value.status == 403
    assert "another site" in answer.value.json()["message"]
    assert status(live_server, search_id) == "queued"
    # The server's own page still may: same origin.
    page.goto(f"{live_server}/")
    done = page.evaluate("url => fetch(url, {method: 'POST'}).then(r => r.status)", stop)
    assert done == 200 and status(live_server, search_id) == "stopped"


@pytest.mark.browser
def test_a_rebound_name_gets_no_answer(live_server: str, page: Any) -> None:
    new_search(live_server)
    port = live_server.rsplit(":", 1)[1]
    for path in ("/", "/api/experiments", "/experiments/1"):
        response = page.goto(f"http://{REBOUND}:{port}{path}")
        assert response.status == 400, path
        assert "target" not in response.text()
    assert page.goto(f"http://localhost:{port}/api/experiments").status == 200


def test_the_host_header_must_name_this_server(live_server: str) -> None:
    port = live_server.rsplit(":", 1)[1]
    with httpx.Client(base_url=live_server, timeout=10) as api:
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "[::2]"):
            refused = api.get("/api/experiments", headers={"Host": host})
            assert refused.status_code == 400, host
            assert refused.json()["detail"][0]["loc"] == ["header", "host"]
            body = {"name": "x", "objective": "bowl"}
            assert (
                api.post("/api/experiments", json=body, headers={"Host": host}).status_code == 400
            )
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", "[::1]:8000"):
            assert api.get("/api/experiments", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_extend_the_list(db_url: str, tmp_path: Path) -> None:
    allowed = "dash.example, .corp.example"
    with (
        running_server(db_url, tmp_path / "s.log", HYPERZOOM_ALLOWED_HOSTS=allowed) as url,
        httpx.Client(base_url=url, timeout=10) as api,
    ):
        for host in ("dash.example", "DASH.example:443", "corp.example", "a.b.corp.example"):
            assert api.get("/api/experiments", headers={"Host": host}).status_code == 200, host
        for host in ("evil.example", "dash.example.evil", "xcorp.example"):
            assert api.get("/api/experiments", headers={"Host": host}).status_code == 400, host
        assert api.get("/api/experiments", headers={"Host": "localhost"}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:1"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"},
    ],
)
def test_cross_site_mutations_are_refused(live_server: str, headers: dict[str, str]) -> None:
    search_id = new_search(live_server)
    refused = httpx.post(f"{live_server}/api/searches/{search_id}/stop", headers=headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"][0]["type"] == "cross_site"
    assert status(live_server, search_id) == "queued"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # httpx, curl, the CLI, remote workers: no Origin
        {"Origin": "ORIGIN"},
        {"Origin": "ORIGIN", "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
    ],
)
def test_same_origin_and_non_browser_mutations_pass(
    live_server: str, headers: dict[str, str]
) -> None:
    search_id = new_search(live_server)
    headers = {k: v.replace("ORIGIN", live_server) for k, v in headers.items()}
    done = httpx.post(f"{live_server}/api/searches/{search_id}/stop", headers=headers)
    assert done.status_code == 200, done.text
    assert (
        httpx.get(f"{live_server}/api/experiments", headers={"Origin": "null"}).status_code == 200
    )


def test_origins_listed_for_cors_may_mutate(db_url: str, tmp_path: Path) -> None:
    friend = "https://notebook.example"
    with running_server(db_url, tmp_path / "s.log", HYPERZOOM_CORS_ORIGINS=f'["{friend}"]') as url:
        search_id = new_search(url)
        headers = {"Origin": friend, "Sec-Fetch-Site": "cross-site"}
        done = httpx.post(f"{url}/api/searches/{search_id}/stop", headers=headers)
        assert done.status_code == 200, done.text
        assert done.headers["access-control-allow-origin"] == friend
