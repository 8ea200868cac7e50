"""What the experiment page's analysis views cost to draw at 1k, 10k and 100k trials.

In headless Chromium, on the real page (real plotly.js and the page's own modules), with
synthetic finished trials over four parameters (a log rate, a float, a log int, a categorical).
Each figure is built by the page's pure module and drawn with `Plotly.react` into a 1200x560
element; the clock stops at the next animation frame. This is the cost of one redraw when a
view is visible and its trials changed; hidden views cost nothing (they are drawn lazily).
Columns: `importance` ranks the parameters; `scatter` draws the scatter plot (WebGL from 5,000
trials); `highlight` redraws it with 10 % of the trials selected; `build` is the scatter
figure alone (no drawing); `splom` and `parcoords` draw those views (thinned to 20,000 trials);
`brush` selects the trials inside one brushed range, plus the frame the lines finish drawing in.

    .venv/bin/python benchmarks/views.py                      # 1k, 10k, 100k; 3 repeats each
    .venv/bin/python benchmarks/views.py --sizes 1000 --repeats 1
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.store.migrate import upgrade  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

SPACE = {
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "units": {"type": "int", "low": 8, "high": 256, "log": True},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}

BENCH = """async ({n, space}) => {
  const { buildFigure } = await import('/static/js/scatter.js');
  const { importance } = await import('/static/js/importance.js');
  const { splomFigure, matrixParams } = await import('/static/js/views/splom.js');
  const { thin } = await import('/static/js/views/dimensions.js');
  const pc = await import('/static/js/views/parcoords.js');
  let seed = 3;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const trials = Array.from({length: n}, (_, i) => {
    const params = {lr: 10 ** (-5 + 5 * random()), x: random(),
      units: Math.round(2 ** (3 + 5 * random())), solver: random() < 0.5 ? 'sgd' : 'adam'};
    const value = (Math.log10(params.lr) + 3) ** 2 + (params.x - 0.3) ** 2;
    return {id: i + 1, searchId: 1, number: i, state: 'complete', value, params,
      metrics: {}, duration: 1};
  });
  const el = document.createElement('div');
  el.style.cssText = 'position:fixed;left:0;top:0;width:1200px;height:560px;z-index:99';
  document.body.append(el);
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const clock = async (draw) => {
    const t0 = performance.now();
    const figure = draw();
    if (figure) await Plotly.react(el, figure.data, figure.layout);
    await frame();
    return performance.now() - t0;
  };
  const args = {trials, space, searches: [{id: 1, parent_id: null}], x: 'lr', y: 'value',
    color: 'value', direction: 'minimize', objective: 'loss', box: null};
  const selected = new Set(trials.filter((t, i) => i % 10 === 0).map((t) => t.id));
  const out = {};
  let ranking;
  out.importance = await clock(() => { ranking = importance(trials, space); });
  Plotly.purge(el);
  out.scatter = await clock(() => buildFigure(args));
  out.highlight = await clock(() => buildFigure({...args, selected}));
  const t0 = performance.now();
  buildFigure({...args, selected});  // the figure alone, hover texts cached: a poll's redraw
  out.build = performance.now() - t0;
  Plotly.purge(el);
  const shown = thin(trials);
  const params = matrixParams(ranking, space);
  out.splom = await clock(() => splomFigure({trials: shown, space, params, objective: 'loss',
    direction: 'minimize', hover: (t) => String(t.id)}));
  Plotly.purge(el);
  let lines;
  out.parcoords = await clock(() => {
    lines = pc.parcoordsDimensions(shown, space, 'loss');
    return pc.parcoordsFigure({...lines, objective: 'loss', direction: 'minimize'});
  });
  out.brush = await clock(() => { pc.brushedIds(lines.rows, lines.dims, {x: [0.2, 0.4]}); });
  Plotly.purge(el);
  el.remove();
  out.lines = shown.length;
  return out;
}"""

COLUMNS = ["importance", "scatter", "highlight", "build", "splom", "parcoords", "brush"]


def serve(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`hyperzoom serve` on a fresh database; the base URL once it answers."""
    url = f"sqlite:///{db}"
    upgrade(url)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--db", url, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        process, base = serve(Path(tmp) / "views.db")
        try:
            body = {"name": "views", "objective": "bowl", "search": {"n_trials": 1}}
            created = httpx.post(f"{base}/api/experiments", json=body).json()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                print(f"Chromium {browser.version}; median of {options.repeats} (ms)\n")
                print("| trials | lines | " + " | ".join(COLUMNS) + " |")
                print("|---:|---:|" + "---:|" * len(COLUMNS))
                for n in (int(s) for s in options.sizes.split(",")):
                    runs = []
                    for _ in range(options.repeats):
                        page = browser.new_page(viewport={"width": 1366, "height": 768})
                        page.goto(f"{base}/experiments/{created['id']}")
                        page.wait_for_function("() => window.Plotly")
                        runs.append(page.evaluate(BENCH, {"n": n, "space": SPACE}))
                        page.close()
                    cells = [f"{statistics.median(r[c] for r in runs):.0f}" for c in COLUMNS]
                    print(f"| {n:,} | {runs[0]['lines']:,} | " + " | ".join(cells) + " |")
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
