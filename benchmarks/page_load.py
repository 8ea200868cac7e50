"""The experiment page's time to first plot in headless Chromium at 1k, 10k and 100k trials.

Each size gets its own SQLite database filled with finished trials (benchmarks/fill.py), a real
`hyperzoom serve` process and a fresh browser page per repeat (cold page, warm server). The clock
is the page's own `performance.now()` (milliseconds since navigation started) at the first
animation frame where the scatter plot holds every trial: HTML, plotly.js, the columnar `GET`,
decoding and the WebGL draw all count. The columnar read the page makes is timed from Python too,
so the doc can say how the first plot's time splits between the server and the browser.
Where the page's time goes comes from its own clock too: when plotly.js and the columnar read
finished downloading (resource timing) and the page's marks (experiment.js: trials decoded,
plotly.js ready, figure built, scatter drawn, the rest of the page drawn).

    .venv/bin/python benchmarks/page_load.py                 # 1k, 10k, 100k; 3 repeats each
    .venv/bin/python benchmarks/page_load.py --sizes 1000 --repeats 1
    .venv/bin/python benchmarks/page_load.py --keep /tmp/pages   # reuse the filled databases
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fill import Ours  # noqa: E402
from benchmarks.report import fmt, machine, median, table, wait_for_http  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# True at the first frame in which the scatter's traces hold `n` points between them, or, in
# density mode (static/js/density.js), its heatmap counts `n` drawn trials (`meta.trials`).
PLOTTED = """(n) => {
  const gd = document.getElementById("scatter");
  const data = gd && gd.data || [];
  const density = data.find((t) => t.type === "heatmap" && t.meta && t.meta.trials !== undefined);
  const points = density ? density.meta.trials
    : data.reduce((sum, t) => sum + (t.x ? t.x.length : 0), 0);
  if (points >= n && window.__firstPlot === undefined) window.__firstPlot = performance.now();
  return points >= n;
}"""
# Milliseconds since navigation of each step, from the page's resource timing and marks.
STEPS = """() => {
  const at = {};
  for (const e of performance.getEntriesByType("resource")) {
    if (e.name.includes("/vendor/plotly-")) at["plotly.js loaded"] = e.responseEnd;
    if (e.name.includes("/trials/columns?since=0")) at["trials loaded"] = e.responseEnd;
  }
  for (const e of performance.getEntriesByType("mark")) at[e.name] = e.startTime;
  at["first plot"] = window.__firstPlot;
  return at;
}"""
STEP_NAMES = ["plotly.js loaded", "trials loaded", "trials decoded", "plotly.js ready"]
STEP_NAMES += ["figure built", "scatter drawn", "first plot", "table, tree, views"]
# Waits for the page's last mark: the rest of the page drawn (or 10 s, for a page without marks,
# such as an older version measured for comparison).
ALL_DRAWN = """() => new Promise((resolve) => {
  const start = performance.now();
  const check = () => performance.getEntriesByName("hz:others").length
    || performance.now() - start > 10000 ? resolve() : setTimeout(check, 20);
  check();
})"""
MARKS = {
    "hz:trials": "trials decoded",
    "hz:plotly": "plotly.js ready",
    "hz:figure": "figure built",
    "hz:scatter": "scatter drawn",
    "hz:others": "table, tree, views",
}


def serve(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """A real server on loopback, as users run it."""
    hyperzoom = Path(sys.executable).with_name("hyperzoom")
    command = [str(hyperzoom), "serve", "--db", db_url, "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(
            [*command, "--log-level", "warning"], stdout=out, stderr=subprocess.STDOUT
        )


def first_plot(opener: object, url: str, n: int) -> tuple[float, dict[str, float]]:
    """Seconds from navigation to the first frame with all `n` trials plotted, and the
    milliseconds at which each step of the page finished. `opener` is the browser (a fresh
    context, cold caches, per page) or one context (its HTTP cache is warm after one page)."""
    page = opener.new_page()  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1366, "height": 768})
    try:
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_function(PLOTTED, arg=n, polling="raf", timeout=120_000)
        page.evaluate(ALL_DRAWN)
        at = page.evaluate(STEPS)
        steps = {MARKS.get(k, k): v for k, v in at.items()}
        return at["first plot"] / 1000, steps
    finally:
        page.close()


def columns_read(base: str, experiment_id: int) -> tuple[float, int]:
    """Seconds and gzip bytes of the page's columnar read of every trial."""
    url = f"{base}/api/experiments/{experiment_id}/trials/columns"
    start = time.perf_counter()
    answer = httpx.get(url, headers={"Accept-Encoding": "gzip"}, timeout=120)
    elapsed = time.perf_counter() - start
    answer.raise_for_status()
    return elapsed, int(answer.headers.get("content-length", len(answer.content)))


def free_port() -> int:
    """A loopback port nobody listens on (another server on a fixed port would answer)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the filled databases here, reuse them")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from playwright.sync_api import sync_playwright

    print(machine())
    rows, breakdown = [], []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        for n in sizes:
            folder = args.keep or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            ours = Ours.open_or_create(os.path.join(folder, f"page-{n}.db"), n)
            if ours.count() < n:
                ours.fill(n, np.random.default_rng(n))
            ours.engine.dispose()
            port = free_port()
            server = serve(ours.url, port, Path(tmp) / f"serve-{n}.log")
            base = f"http://127.0.0.1:{port}"
            try:
                wait_for_http(f"{base}/openapi.json")
                url = f"{base}/experiments/{ours.experiment_id}"
                first_plot(browser, url, n)  # warm the server's caches and the disk
                runs = [first_plot(browser, url, n) for _ in range(args.repeats)]
                plots = [seconds for seconds, _ in runs]
                # A second visit: plotly.js and the modules from the HTTP cache, and plotly.js
                # compiled from V8's code cache once it has been loaded twice.
                context = browser.new_context()
                first_plot(context, url, n)
                warm = [first_plot(context, url, n)[0] for _ in range(args.repeats)]
                context.close()
                reads = [columns_read(base, ours.experiment_id) for _ in range(args.repeats)]
            finally:
                server.terminate()
                server.wait(30)
            read_s = median([r[0] for r in reads])
            rows.append(
                [f"{n:,}", fmt(median(plots)), fmt(max(plots)), fmt(median(warm))]
                + [fmt(read_s), reads[0][1]]
            )
            # The steps of the run with the median first plot.
            steps = sorted(runs, key=lambda run: run[0])[len(runs) // 2][1]
            at = [fmt(steps[k] / 1000) if k in steps else "-" for k in STEP_NAMES]
            breakdown.append([f"{n:,}", *at])
            print(f"{n:,} trials: first plot {plots}, warm cache {warm}", flush=True)
        browser.close()
    headers = ["trials", "first plot s (median)", "worst", "warm cache s", "columnar GET s"]
    headers.append("gzip bytes")
    print()
    print(table(headers, rows))
    print()
    print("Seconds since navigation at which each step finished (the median run):")
    print()
    print(table(["trials", *STEP_NAMES], breakdown))


if __name__ == "__main__":
    main()
