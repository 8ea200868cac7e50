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
`lineage` is GET /api/experiments/{id}/lineage (server and transfer, from Python, after a
first read) on an experiment in the database whose root holds that many finished trials and
whose two children hold a tenth as many each: one over a box around the root's best trials, one
in a corner that holds none of them (its baseline walks past nearly all of the root's trials);
`compare` draws the compare tab from that answer: its best-so-far lines, EDFs and gain rows,
and the root and the first child (1.1 times the trials) on the scatter's axes. `pareto` draws
the trade-offs tab: the value against a second metric with a tenth of the trials over its
bound, the front (computed in the benchmark, as the server's two-metric sweep) as a line.

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
import numpy as np
from sqlalchemy import insert, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.space import SearchSpace  # noqa: E402
from app.store.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from app.store.experiments import create_experiment  # noqa: E402
from app.store.migrate import upgrade  # noqa: E402
from app.store.models import Direction, Search, Trial, TrialState  # noqa: E402
from app.store.searches import SearchSettings, refine_search  # noqa: E402
from app.store.tallies import recount  # noqa: E402
from benchmarks.fill import draw, timestamps, value_of  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.processes import free_port  # noqa: E402

SPACE = {
    "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
    "units": {"type": "int", "low": 8, "high": 256, "log": True},
    "solver": {"type": "categorical", "choices": ["sgd", "adam"]},
}

BENCH = """async ({n, space, lineage}) => {
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
  const compareClock = async (n, trials, lineage, space) => {
    const lv = await import('/static/js/views/lineage.js');
    const searches = lineage.searches.map((s) => ({id: s.id, parent_id: s.parent_id}));
    const [root, child] = searches;
    const pair = trials.concat(trials.slice(0, Math.floor(n / 10)).map(
      (t, i) => ({...t, id: n + i + 1, searchId: child.id})));
    for (const t of trials) t.searchId = root.id;
    const els = [0, 1, 2].map((i) => {
      const e = document.createElement('div');
      e.style.cssText = `position:fixed;left:0;top:${i * 330}px;width:1200px;height:320px`;
      document.body.append(e);
      return e;
    });
    const args = {lineage, searches, visible: null, direction: 'minimize', objective: 'loss'};
    const t0 = performance.now();
    const figures = [lv.progressFigure(args), lv.edfFigure(args), lv.pairFigure({trials: pair,
      a: root.id, b: child.id, searches, x: 'lr', y: 'value', space, objective: 'loss'})];
    lv.gainRows(args);
    await Promise.all(figures.map((f, i) => Plotly.react(els[i], f.data, f.layout)));
    await frame();
    const took = performance.now() - t0;
    els.forEach((e) => { Plotly.purge(e); e.remove(); });
    return took;
  };
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
  out.compare = await compareClock(n, trials, lineage, space);
  // The trade-offs tab: the value against a second metric, its front (two metrics: one sort
  // and a sweep, as the server's) drawn as a line, a tenth of the trials over a bound.
  const pv = await import('/static/js/views/pareto.js');
  for (const t of trials) t.metrics = {secs: 1 + 4 * random()};
  const metrics = [{name: 'loss', direction: 'minimize'},
    {name: 'secs', direction: 'minimize', upper: 4.6}];
  const order = trials.filter((t) => t.metrics.secs <= 4.6)
    .sort((a, b) => a.value - b.value || a.metrics.secs - b.metrics.secs);
  const frontIds = [];
  let lowest = Infinity;
  for (const t of order) {
    if (t.metrics.secs < lowest) { lowest = t.metrics.secs; frontIds.push(t.id); }
  }
  const pareto = {trial_ids: frontIds,
    infeasible_ids: trials.filter((t) => t.metrics.secs > 4.6).map((t) => t.id)};
  out.pareto = await clock(() => pv.paretoFigure({trials, metrics, pareto, x: 'loss', y: 'secs',
    searches: [{id: 1, parent_id: null}]}));
  Plotly.purge(el);
  out.front = frontIds.length;
  el.remove();
  out.lines = shown.length;
  return out;
}"""

COLUMNS = [
    "importance",
    "scatter",
    "highlight",
    "build",
    "splom",
    "parcoords",
    "brush",
    "lineage",
    "compare",
    "pareto",
]
CHILD_BOX = {"lr": [1e-4, 1e-2], "x": [0.1, 0.5]}  # around the root's best (lr 1e-3, x 0.3)
CORNER_BOX = {"lr": [1e-5, 2e-5], "x": [0.9, 1.0]}  # none of its best trials


def fill_lineage(url: str, n: int, seed: int = 5) -> int:
    """An experiment whose root holds `n` finished trials of SPACE and whose two children
    (CHILD_BOX, CORNER_BOX) hold n // 10 each, written straight into the tables (as
    benchmarks/fill.py does); its id."""
    rng = np.random.default_rng(seed)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        experiment, root = create_experiment(
            session,
            name=f"lineage {n:,}",
            objective="bowl",
            direction=Direction.MINIMIZE,
            space=SearchSpace.from_dict(SPACE),
            settings=SearchSettings(n_trials=n, seed=1),
        )
        children = [
            refine_search(session, root.id, region=box, settings=SearchSettings(n_trials=n // 10))
            for box in (CHILD_BOX, CORNER_BOX)
        ]
        searches = [(root.id, n, None), *((c.id, n // 10, c.search_space) for c in children)]
        experiment_id = experiment.id
    seq = 0
    for search_id, count, space in searches:
        rows = []
        # The root draws from SPACE, a child from its own space (as its sampler would).
        drawn = draw(rng, count) if space is None else space.decode(rng.random((count, 4)))
        for number, params in enumerate(drawn):
            started, finished = timestamps(number)
            seq += 1
            rows.append(
                {
                    "experiment_id": experiment_id,
                    "search_id": search_id,
                    "number": number,
                    "state": TrialState.COMPLETE,
                    "params": params,
                    "value": value_of(params),
                    "worker": "fill",
                    "attempt": 0,
                    "lost": 0,
                    "seq": seq,
                    "started_at": started,
                    "heartbeat_at": finished,
                    "finished_at": finished,
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(Trial), rows)
            counts = {"n_asked": count, "n_finished": count}
            conn.execute(update(Search).where(Search.id == search_id).values(**counts))
            conn.execute(recount().where(Search.id == search_id))
    engine.dispose()
    return experiment_id


def lineage_read(base: str, experiment_id: int, repeats: int) -> tuple[float, dict[str, object]]:
    """The median time (ms) of GET .../lineage over `repeats` reads after one to warm up (as
    the page reads it again and again), and its answer."""
    took = []
    with httpx.Client(base_url=base, timeout=120) as client:
        body = client.get(f"/api/experiments/{experiment_id}/lineage").json()
        for _ in range(repeats):
            t0 = time.perf_counter()
            client.get(f"/api/experiments/{experiment_id}/lineage").raise_for_status()
            took.append((time.perf_counter() - t0) * 1000)
    return statistics.median(took), body


def serve(db: Path, sizes: list[int]) -> tuple[subprocess.Popen[bytes], str, dict[int, int]]:
    """`hyperzoom serve` on a fresh database holding a lineage experiment of each size; the
    base URL once it answers, and the experiments' ids by size."""
    url = f"sqlite:///{db}"
    upgrade(url)
    lineages = {n: fill_lineage(url, n) for n in sizes}
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
            return process, base, lineages
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

    sizes = [int(s) for s in options.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        process, base, lineages = serve(Path(tmp) / "views.db", sizes)
        try:
            body = {"name": "views", "objective": "bowl", "search": {"n_trials": 1}}
            created = httpx.post(f"{base}/api/experiments", json=body).json()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                print(f"Chromium {browser.version}; median of {options.repeats} (ms)\n")
                print("| trials | lines | " + " | ".join(COLUMNS) + " |")
                print("|---:|---:|" + "---:|" * len(COLUMNS))
                for n in sizes:
                    read, lineage = lineage_read(base, lineages[n], options.repeats)
                    runs = []
                    for _ in range(options.repeats):
                        page = browser.new_page(viewport={"width": 1366, "height": 768})
                        page.goto(f"{base}/experiments/{created['id']}")
                        page.wait_for_function("() => window.Plotly")
                        args = {"n": n, "space": SPACE, "lineage": lineage}
                        runs.append({**page.evaluate(BENCH, args), "lineage": read})
                        page.close()
                    cells = [f"{statistics.median(r[c] for r in runs):.0f}" for c in COLUMNS]
                    print(f"| {n:,} | {runs[0]['lines']:,} | " + " | ".join(cells) + " |")
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
