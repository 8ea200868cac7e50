// The scatter plot's figure (static/js/scatter.js): pure, so its pieces are checked here and
// what plotly makes of it in the browser tests.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CATEGORY_COLORS, NO_COLOR } from "../../static/js/palette.js";
import { GL_POINTS, axisColumn, buildFigure, columnsOfTrials, zoomAfter } from "../../static/js/scatter.js";
import { CAT, LR, trial } from "./fixtures.mjs";

const SPACE = { lr: LR, x: { type: "float", low: 0, high: 1 }, c: CAT, "<n>": { type: "int", low: 1, high: 9 } };
const SEARCHES = [
  { id: 1, parent_id: null },
  { id: 2, parent_id: 1 },
];
const TRIALS = [
  trial(1, 0.5, { lr: 0.01, x: 0.2, c: 3, "<n>": 2 }),
  trial(2, 0.1, { lr: 0.001, x: 0.4, c: 5, "<n>": 4 }, "complete", { searchId: 2 }),
  trial(3, null, { lr: 0.1, x: 0.9, c: 1, "<n>": 6 }, "failed"),
  trial(4, null, { lr: 0.05, x: 0.5, c: 1, "<n>": 8 }, "pruned"),
  trial(5, 0.3, { lr: 0.02, x: 0.3, c: 1, "<n>": 1 }, "running"),
];
const ARGS = {
  trials: TRIALS,
  space: SPACE,
  searches: SEARCHES,
  x: "lr",
  y: "x",
  color: "value",
  direction: "minimize",
  objective: "bowl",
  box: null,
};
const uids = (figure) => figure.data.map((t) => t.uid);

test("a trace per search, the failed and the pruned, then each search's legend entry", () => {
  const figure = buildFigure(ARGS);
  assert.deepEqual(uids(figure), ["search-1", "search-2", "failed", "pruned", "legend-1", "legend-2"]);
  const [first, second] = figure.data;
  assert.deepEqual(first.customdata, [1]);
  assert.deepEqual(second.customdata, [2]);
  assert.equal(first.type, "scatter");
  assert.equal(first.name, "search 1 (coarse)");
  assert.equal(second.name, "search 2 ← 1");
  assert.equal(first.marker.showscale, true); // one colour bar, on the first trace
  assert.equal(second.marker.showscale, false);
  assert.notEqual(first.marker.symbol, second.marker.symbol);
  assert.equal(figure.data[4].marker.symbol, `${first.marker.symbol}-open`);
  assert.ok(figure.data[2].hovertext[0].endsWith("state: failed"));
});

test("running trials are not drawn; failed and pruned ones only while shown", () => {
  const figure = buildFigure({ ...ARGS, showFailed: false });
  assert.deepEqual(uids(figure), ["search-1", "search-2", "legend-1", "legend-2"]);
  assert.equal(figure.data.flatMap((t) => t.customdata).includes(5), false);
});

test("a hidden search keeps the others' symbols and colours", () => {
  const all = buildFigure(ARGS);
  const one = buildFigure({ ...ARGS, visible: new Set([2]) });
  assert.deepEqual(uids(one), ["search-2", "legend-2"]); // search 1's failed and pruned trials hide with it
  assert.deepEqual(one.data[0].marker.symbol, all.data[1].marker.symbol);
  assert.deepEqual(one.data[0].marker.line.color, all.data[1].marker.line.color);
});

test("colour by the objective: brighter is better whichever the direction", () => {
  const min = buildFigure(ARGS).data[0].marker;
  assert.deepEqual([min.cmin, min.cmax, min.reversescale], [0.1, 0.5, true]);
  assert.equal(buildFigure({ ...ARGS, direction: "maximize" }).data[0].marker.reversescale, false);
});

test("colour by a log parameter is its log10, the bar labelled in real units", () => {
  const marker = buildFigure({ ...ARGS, color: "lr" }).data[0].marker;
  assert.deepEqual(marker.color, [-2]);
  assert.equal(marker.colorbar.tickmode, "array");
  assert.ok(marker.colorbar.ticktext.every((t) => !t.startsWith("-")));
});

test("colour by a category: one band per choice, the names on the bar", () => {
  const marker = buildFigure({ ...ARGS, color: "c" }).data[0].marker;
  assert.deepEqual(marker.color, [1]); // 3 is the second choice
  assert.deepEqual([marker.cmin, marker.cmax], [-0.5, 2.5]);
  assert.deepEqual(marker.colorbar.ticktext, ["1", "3", "5"]);
});

test("no colour at all: the scale still spans something", () => {
  const marker = buildFigure({ ...ARGS, color: "metric:none" }).data[0].marker;
  assert.deepEqual([marker.cmin, marker.cmax], [0, 1]);
});

test("trials selected elsewhere stand out in every trace that has points", () => {
  const figure = buildFigure({ ...ARGS, selected: new Set([2, 3]) });
  assert.deepEqual(figure.data.slice(0, 4).map((t) => t.selectedpoints), [[], [0], [0], []]);
  assert.equal(figure.data[4].selectedpoints, undefined); // legend entries are left alone
});

test("from GL_POINTS trials on, WebGL with lazily built hover texts", () => {
  const many = Array.from({ length: GL_POINTS }, (_, i) => trial(i + 1, i, { lr: 0.01, x: i / GL_POINTS }));
  const figure = buildFigure({ ...ARGS, trials: many, showFailed: false });
  assert.equal(figure.data[0].type, "scattergl");
  assert.equal(figure.data[0].hovertext.length, GL_POINTS);
  assert.ok(figure.data[0].hovertext[7].includes("trial 8"));
});

test("the layout: axis kinds, titles and categories escaped, and the box as a selection", () => {
  const box = { x: "<n>", y: "c", xRange: [2, 4], yRange: [0.6, 1.4] };
  const { layout } = buildFigure({ ...ARGS, x: "<n>", y: "c", box });
  assert.equal(layout.xaxis.title.text, "&lt;n&gt;");
  assert.deepEqual(layout.xaxis.ticktext, ["2", "4", "6", "8"]); // whole numbers for integers
  assert.equal(layout.yaxis.type, "category");
  assert.deepEqual(layout.selections, [{ type: "rect", xref: "x", yref: "y", x0: 2, x1: 4, y0: 0.6, y1: 1.4 }]);
  assert.equal(layout.uirevision, "<n>|c");
  assert.equal(layout.xaxis.type, "linear");
  assert.equal(buildFigure(ARGS).layout.xaxis.type, "log");
});

test("ticks follow a zoom", () => {
  const { layout } = buildFigure({ ...ARGS, x: "x", zoom: { x: [0.2, 0.3] } });
  assert.deepEqual(layout.xaxis.ticktext, ["0.2", "0.22", "0.24", "0.26", "0.28", "0.3"]);
});

test("a zoom is kept in real units, a reset forgets it", () => {
  const ranges = { xaxis: { range: [-3, -1], type: "log" }, yaxis: { range: [0, 2], type: "linear" } };
  const zoomed = zoomAfter({ "xaxis.range[0]": -3, "yaxis.range": [0, 2] }, {}, ranges);
  assert.equal(zoomed.changed, true);
  assert.deepEqual(zoomed.zoom, { x: [0.001, 0.1], y: [0, 2] });
  const reset = zoomAfter({ "xaxis.autorange": true }, zoomed.zoom, ranges);
  assert.deepEqual(reset, { zoom: { y: [0, 2] }, changed: true });
  assert.deepEqual(zoomAfter({ "xaxis.autorange": true }, {}, ranges), { zoom: {}, changed: false });
  assert.deepEqual(zoomAfter({ dragmode: "lasso" }, { x: [1, 2] }, ranges), { zoom: { x: [1, 2] }, changed: false });
});

// The trials as the store holds them (trialstore.js): typed arrays, dictionary codes, NaN for null.
function storeColumns(n, { failedEvery = 0 } = {}) {
  const value = Float64Array.from({ length: n }, (_, i) => (i % 10 === 9 ? NaN : i));
  return {
    n,
    id: Float64Array.from({ length: n }, (_, i) => 1000 + i),
    search_id: Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 1 : 2)),
    number: Float64Array.from({ length: n }, (_, i) => i),
    state: { codes: Int32Array.from({ length: n }, (_, i) => (failedEvery && i % failedEvery === 0 ? 1 : 0)), values: ["complete", "failed"] },
    value,
    duration: new Float64Array(n).fill(NaN),
    params: {
      lr: Float64Array.from({ length: n }, (_, i) => 10 ** -(1 + (i % 5))),
      x: Float64Array.from({ length: n }, (_, i) => (i % 7 === 3 ? NaN : i / n)),
      c: { codes: Int32Array.from({ length: n }, (_, i) => i % 3), values: [1, 3, 5] },
    },
    metrics: {},
    trial: (r) => trial(1000 + r, Number.isNaN(value[r]) ? null : r, { lr: 0.1 }),
  };
}

test("WebGL from columns: typed x, y and ids, rows without both coordinates left out", () => {
  const n = GL_POINTS * 2;
  const columns = storeColumns(n);
  const figure = buildFigure({ ...ARGS, trials: null, columns, x: "x", y: "lr", showFailed: false });
  const [first, second] = figure.data;
  assert.equal(first.type, "scattergl");
  for (const key of ["x", "y", "customdata"]) assert.ok(first[key] instanceof Float64Array, key);
  const expected = Array.from({ length: n / 2 }, (_, i) => i).filter((i) => i % 7 !== 3);
  assert.deepEqual([...first.customdata], expected.map((i) => 1000 + i));
  assert.deepEqual([...first.x], expected.map((i) => i / n));
  assert.equal(second.customdata[0], 1000 + n / 2 + (n / 2 % 7 === 3 ? 1 : 0));
  assert.ok(first.hovertext[0].includes("trial 1000")); // built from the row's trial when read
});

test("WebGL colours: one level of the scale per point, none for a missing value, the bar on its own trace", () => {
  const n = GL_POINTS;
  const figure = buildFigure({ ...ARGS, trials: null, columns: storeColumns(n), x: "x", y: "lr", direction: "maximize" });
  const [first] = figure.data;
  assert.equal(first.marker.showscale, undefined);
  assert.equal(first.marker.colorscale, undefined);
  const bar = figure.data.find((t) => t.uid === "colorbar");
  assert.deepEqual([bar.marker.showscale, bar.marker.reversescale, bar.customdata], [true, false, []]);
  const top = bar.marker.cmax;
  const at = (id) => first.marker.color[[...first.customdata].indexOf(id)];
  assert.equal(at(1000), "#440154"); // value 0: the bottom of viridis (maximized: the worst)
  assert.equal(at(1009), NO_COLOR); // no value
  assert.equal(bar.marker.cmin, 0);
  assert.equal(top, n - 2); // row n - 1 has no value
  assert.equal(new Set(first.marker.color).size <= 257, true);
});

test("WebGL colours by a category: each point its category's colour", () => {
  const figure = buildFigure({ ...ARGS, trials: null, columns: storeColumns(GL_POINTS), x: "x", y: "lr", color: "c" });
  const [first] = figure.data;
  const ids = [...first.customdata];
  const colour = (choice) => CATEGORY_COLORS[CAT.choices.indexOf(choice)];
  for (const k of [0, 1, 2, 4]) assert.equal(first.marker.color[k], colour([1, 3, 5][(ids[k] - 1000) % 3]));
});

test("failed trials from state codes, a hidden search's rows left out", () => {
  const columns = storeColumns(GL_POINTS * 2, { failedEvery: 4 });
  const figure = buildFigure({ ...ARGS, trials: null, columns, x: "x", y: "lr", visible: new Set([2]) });
  assert.deepEqual(uids(figure), ["search-2", "failed", "legend-2", "colorbar"]);
  const failed = figure.data[1];
  assert.ok([...failed.customdata].every((id) => (id - 1000) % 4 === 0 && id - 1000 >= GL_POINTS));
  assert.ok([...figure.data[0].customdata].every((id) => (id - 1000) % 4 !== 0));
});

test("columns and trial objects draw the same figure", () => {
  const fromTrials = buildFigure(ARGS);
  const fromColumns = buildFigure({ ...ARGS, trials: null, columns: columnsOfTrials(TRIALS) });
  assert.deepEqual(JSON.stringify(fromColumns), JSON.stringify(fromTrials));
  assert.equal(axisColumn(columnsOfTrials(TRIALS), "metric:none"), undefined);
});
