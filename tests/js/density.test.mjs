// The scatter plot's density mode (static/js/density.js and scatter.js's density figure): its
// cells, best trials and selections checked against brute force over the same trials.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DENSITY_POINTS,
  TOP_POINTS,
  axisReader,
  bestRows,
  binRows,
  bins,
  categoryBins,
  densityThreshold,
  idsInBox,
  idsInPolygon,
  insidePolygon,
} from "../../static/js/density.js";
import { trialsInside } from "../../static/js/plotbox.js";
import { buildFigure, columnsOfTrials } from "../../static/js/scatter.js";
import { TrialStore } from "../../static/js/trialstore.js";

const SPACE = {
  lr: { type: "float", low: 1e-5, high: 1, log: true },
  x: { type: "float", low: 0, high: 1 },
  c: { type: "categorical", choices: ["a", "b", 3] },
};
const STATES = ["complete", "complete", "complete", "failed", "pruned", "running"];

// A seeded generator, so every run checks the same trials.
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// `n` trials of SPACE over searches 1 and 2, some failed, pruned or running, some missing a
// parameter (NaN or absent), some with lr <= 0 (off a log axis).
function trials(n, seed = 1) {
  const rnd = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const state = STATES[Math.floor(rnd() * STATES.length)];
    const params = { lr: 10 ** (-5 + 5 * rnd()), x: rnd(), c: SPACE.c.choices[Math.floor(rnd() * 3)] };
    if (rnd() < 0.05) delete params.x;
    if (rnd() < 0.03) params.lr = i % 2 ? 0 : -1;
    if (rnd() < 0.03) delete params.c;
    const value = state === "complete" ? Math.round(rnd() * 1000) / 10 : null; // ties on purpose
    return { id: 100 + i, searchId: 1 + (i % 2), number: i, state, value, params, metrics: {}, duration: 1 };
  });
}

// The trials as the page's store holds them (typed arrays and codes), through the JSON answer.
function storeColumns(list) {
  const store = new TrialStore();
  const names = Object.keys(SPACE);
  store.merge({
    id: list.map((t) => t.id),
    search_id: list.map((t) => t.searchId),
    number: list.map((t) => t.number),
    state: list.map((t) => t.state),
    value: list.map((t) => t.value),
    duration: list.map((t) => t.duration),
    params: Object.fromEntries(names.map((k) => [k, list.map((t) => (Object.hasOwn(t.params, k) ? t.params[k] : null))])),
    metrics: {},
    cursor: list.length,
  });
  return store.columns();
}

test("the threshold comes from ?density=N, else the default", () => {
  assert.equal(densityThreshold(""), DENSITY_POINTS);
  assert.equal(densityThreshold("?x=lr&density=1000"), 1000);
  for (const bad of ["?density=0", "?density=-5", "?density=abc", "?density=1.5"]) assert.equal(densityThreshold(bad), DENSITY_POINTS);
});

test("bins: the cell of each number, the edges included, NaN and outside none", () => {
  const b = bins(0, 1, 4);
  assert.deepEqual([0, 0.24, 0.25, 0.99, 1, -0.01, 1.01, NaN].map(b.cell), [0, 0, 1, 3, 3, -1, -1, -1]);
  assert.deepEqual([0, 1, 2, -1, 3].map(categoryBins(["a", "b", "c"]).cell), [0, 1, 2, -1, -1]);
  assert.equal(bins(2, 2, 5).cell(2), 0); // one value: one cell
});

// Brute force: each trial's cell, by the same plotted numbers, counted one by one.
function bruteCells(list, { xKey, yKey, xb, yb, showFailed, minimize }) {
  const cells = new Map();
  for (const t of list) {
    const drawn = t.state === "complete" || (showFailed && (t.state === "failed" || t.state === "pruned"));
    if (!drawn) continue;
    const xv = t.params[xKey];
    const yv = yKey === "value" ? t.value : t.params[yKey];
    if (xv === undefined || xv === null || yv === undefined || yv === null) continue;
    const px = xKey === "lr" ? (xv > 0 ? Math.log10(xv) : NaN) : xKey === "c" ? SPACE.c.choices.indexOf(xv) : xv;
    const py = yKey === "c" ? SPACE.c.choices.indexOf(yv) : yv;
    if (Number.isNaN(px) || px < xb.lo || px > xb.hi || py < yb.lo || py > yb.hi) continue;
    const i = Math.min(xb.n - 1, Math.floor(((px - xb.lo) / (xb.hi - xb.lo)) * xb.n));
    const j = Math.min(yb.n - 1, Math.floor(((py - yb.lo) / (yb.hi - yb.lo)) * yb.n));
    const k = j * xb.n + i;
    const cell = cells.get(k) || { count: 0, unfinished: 0, best: null };
    cell.count += 1;
    if (t.state !== "complete") cell.unfinished += 1;
    else if (cell.best === null || (minimize ? t.value < cell.best : t.value > cell.best)) cell.best = t.value;
    cells.set(k, cell);
  }
  return cells;
}

// The rows a plot draws, as scatter.js picks them: finished, and failed and pruned when shown,
// with both coordinates.
function drawnRows(columns, list, xKey, yKey, showFailed) {
  const has = (t, k) => (k === "value" ? t.value !== null : Object.hasOwn(t.params, k));
  const rows = [];
  list.forEach((t, r) => {
    const drawn = t.state === "complete" || (showFailed && (t.state === "failed" || t.state === "pruned"));
    if (drawn && has(t, xKey) && has(t, yKey)) rows.push(r);
  });
  return rows;
}

for (const [xKey, yKey] of [["lr", "value"], ["x", "c"], ["c", "x"]]) {
  for (const minimize of [true, false]) {
    test(`cells of ${xKey} × ${yKey} (${minimize ? "min" : "max"}): counts and best equal brute force`, () => {
      const list = trials(3000, 7);
      const columns = storeColumns(list);
      const xAxis = axisReader(columns, xKey, SPACE);
      const yAxis = axisReader(columns, yKey, SPACE);
      assert.equal(xAxis.log, xKey === "lr");
      const xb = xKey === "c" ? categoryBins(SPACE.c.choices) : xKey === "lr" ? bins(-4.2, -0.3, 37) : bins(0.1, 0.9, 23);
      const yb = yKey === "c" ? categoryBins(SPACE.c.choices) : yKey === "value" ? bins(5, 95, 19) : bins(0, 1, 11);
      const value = (r) => (list[r].state === "complete" ? list[r].value : NaN);
      const rows = drawnRows(columns, list, xKey, yKey, true);
      const grid = binRows([rows.slice(0, 1000), rows.slice(1000)], { xAxis, yAxis, xBins: xb, yBins: yb, value, minimize });
      const expected = bruteCells(list, { xKey, yKey, xb, yb, showFailed: true, minimize });
      assert.ok(expected.size > 10);
      for (let k = 0; k < grid.count.length; k += 1) {
        const want = expected.get(k) || { count: 0, unfinished: 0, best: null };
        assert.equal(grid.count[k], want.count, `cell ${k}`);
        assert.equal(grid.unfinished[k], want.unfinished, `cell ${k}`);
        assert.equal(Number.isNaN(grid.best[k]) ? null : grid.best[k], want.best, `cell ${k}`);
        if (want.best !== null) assert.equal(list[grid.bestRow[k]].value, want.best);
        else assert.equal(grid.bestRow[k], -1);
      }
    });
  }
}

test("a log axis skips values <= 0 and missing ones", () => {
  const list = trials(500, 3);
  const columns = storeColumns(list);
  const lr = axisReader(columns, "lr", SPACE);
  list.forEach((t, r) => {
    const v = t.params.lr;
    const p = lr.plane(lr.at(r));
    if (v === undefined || v <= 0) assert.ok(Number.isNaN(p));
    else assert.equal(p, Math.log10(v));
  });
});

test("the best k rows are the k best values, best first", () => {
  const list = trials(2000, 5);
  const finished = list.map((t, r) => r).filter((r) => list[r].state === "complete");
  const value = (r) => (list[r].state === "complete" ? list[r].value : NaN);
  for (const minimize of [true, false]) {
    for (const k of [1, 17, 200, finished.length, finished.length + 5]) {
      const got = bestRows([finished.slice(0, 300), finished.slice(300)], value, k, { minimize });
      const sorted = [...finished].sort((a, b) => (minimize ? value(a) - value(b) : value(b) - value(a)) || a - b);
      assert.equal(got.length, Math.min(k, finished.length));
      assert.deepEqual(got.map(value), sorted.slice(0, k).map(value));
      assert.equal(new Set(got).size, got.length);
    }
  }
  assert.deepEqual(bestRows([[0, 1]], () => NaN, 5, { minimize: true }), []);
});

test("a box selects from the columns exactly what trialsInside selects from the trials", () => {
  const list = trials(3000, 11);
  const columns = storeColumns(list);
  const boxes = [
    { x: "lr", y: "value", xRange: [1e-3, 0.2], yRange: [80, 10] },
    { x: "x", y: "c", xRange: [0.2, 0.7], yRange: [0.6, 2.4] },
    { x: "c", y: "lr", xRange: [-0.4, 0.4], yRange: [1e-5, 1] },
  ];
  for (const box of boxes) {
    for (const showFailed of [true, false]) {
      for (const visible of [null, new Set([2])]) {
        const shown = list.filter((t) => (!visible || visible.has(t.searchId)) && (showFailed || (t.state !== "failed" && t.state !== "pruned")));
        const want = trialsInside(shown, box, SPACE).map((t) => t.id);
        const got = idsInBox(columns, box, SPACE, { visible, showFailed });
        assert.ok(want.length > 0);
        assert.deepEqual(got, want);
      }
    }
  }
});

test("a lasso selects the drawn trials inside its polygon, on a log axis in decades", () => {
  const list = trials(2000, 13);
  const columns = storeColumns(list);
  const rows = drawnRows(columns, list, "lr", "x", true);
  const polygon = { x: [1e-4, 1e-1, 1e-2], y: [0.1, 0.2, 0.9] };
  const got = idsInPolygon(columns, [rows], { x: "lr", y: "x", space: SPACE, polygon });
  const xs = polygon.x.map(Math.log10);
  const want = rows.filter((r) => {
    const t = list[r];
    return t.params.lr > 0 && insidePolygon(Math.log10(t.params.lr), t.params.x, xs, polygon.y);
  });
  assert.ok(want.length > 10 && want.length < rows.length);
  assert.deepEqual(got, want.map((r) => list[r].id));
  // A unit square, brute force.
  assert.ok(insidePolygon(0.5, 0.5, [0, 1, 1, 0], [0, 0, 1, 1]));
  assert.ok(!insidePolygon(1.5, 0.5, [0, 1, 1, 0], [0, 0, 1, 1]));
});

test("the figure: under the threshold points, from it a heatmap under the best and selected", () => {
  const list = trials(3000, 17);
  const args = {
    trials: list,
    space: SPACE,
    searches: [{ id: 1, parent_id: null }, { id: 2, parent_id: 1 }],
    x: "lr",
    y: "x",
    color: "value",
    direction: "minimize",
    objective: "o",
    box: null,
    zoom: {},
  };
  const points = buildFigure({ ...args, density: { threshold: 100000, top: 10, cells: { nx: 40, ny: 20 } } });
  assert.ok(!points.density && points.data.every((t) => t.type !== "heatmap"));
  const selected = new Set([list[5].id, list[6].id]);
  const figure = buildFigure({ ...args, selected, density: { threshold: 1000, top: 10, cells: { nx: 40, ny: 20 } } });
  const [heatmap, ...rest] = figure.data;
  assert.equal(heatmap.type, "heatmap");
  assert.equal(heatmap.x.length, 41); // edges
  assert.equal(heatmap.z.length, 20);
  assert.ok(heatmap.x[0] > 0 && heatmap.x[40] <= 1); // real units on the log axis
  const drawn = list.filter((t) => (t.state === "complete" || t.state === "failed" || t.state === "pruned")
    && t.params.lr > 0 && Object.hasOwn(t.params, "x"));
  const missingLr = list.filter((t) => (t.state === "complete" || t.state === "failed" || t.state === "pruned")
    && Object.hasOwn(t.params, "lr") && !(t.params.lr > 0) && Object.hasOwn(t.params, "x")).length;
  assert.equal(heatmap.meta.trials, drawn.length + missingLr); // drawn counts what a point plot draws
  const counted = heatmap.text.flat().filter(Boolean).reduce((sum, s) => sum + Number(/<b>(\d+) trial/.exec(s)[1]), 0);
  assert.equal(counted, drawn.length); // a log axis has no place for lr <= 0
  const ids = rest.flatMap((t) => Array.from(t.customdata));
  const best = list.filter((t) => t.state === "complete" && Object.hasOwn(t.params, "x") && Object.hasOwn(t.params, "lr"))
    .sort((a, b) => a.value - b.value).slice(0, 10).map((t) => t.value);
  const byId = new Map(list.map((t) => [t.id, t]));
  const pointValues = ids.filter((id) => !selected.has(id)).map((id) => byId.get(id).value).sort((a, b) => a - b);
  assert.deepEqual(pointValues.slice(0, 10), best);
  for (const id of selected) if (drawn.some((t) => t.id === id)) assert.ok(ids.includes(id));
  assert.ok(TOP_POINTS >= 10);
  // The same figure from the store's typed columns.
  const fromColumns = buildFigure({ ...args, trials: null, columns: storeColumns(list), selected, density: { threshold: 1000, top: 10, cells: { nx: 40, ny: 20 } } });
  assert.deepEqual(fromColumns.data[0].z, heatmap.z);
  assert.deepEqual(fromColumns.data[0].text, heatmap.text);
  assert.ok(columnsOfTrials);
});
