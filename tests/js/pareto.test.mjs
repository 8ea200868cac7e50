// The trade-offs tab's pure parts: metric values, the pair of axes, the front's line and the
// span of boxed trials (static/js/views/pareto.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { frontLine, metricPair, metricValue, paretoTab, spanRegion } from "../../static/js/views/pareto.js";
import { CAT, LR, TWINS, trial } from "./fixtures.mjs";

const METRICS = [
  { name: "acc", direction: "maximize" },
  { name: "secs", direction: "minimize", upper: 2 },
  { name: "mem", direction: "minimize" },
];
const withSecs = (id, value, secs, params = {}, state = "complete") => trial(id, value, params, state, { metrics: { secs } });

test("the first metric is the trial's value, the others its metrics; non-numbers are none", () => {
  const t = trial(1, 0.9, {}, "complete", { metrics: { secs: 1.5, mem: "big", acc: 0.1 } });
  assert.equal(metricValue(t, METRICS, "acc"), 0.9);
  assert.equal(metricValue(t, METRICS, "secs"), 1.5);
  assert.equal(metricValue(t, METRICS, "mem"), null);
  assert.equal(metricValue(trial(2, null), METRICS, "acc"), null);
  assert.equal(metricValue(trial(2, 1, {}, "complete", { metrics: { secs: NaN } }), METRICS, "secs"), null);
});

test("the axes default to the first two metrics and keep a declared, distinct pair", () => {
  assert.deepEqual(metricPair(METRICS), ["acc", "secs"]);
  assert.deepEqual(metricPair(METRICS, ["mem", "acc"]), ["mem", "acc"]);
  assert.deepEqual(metricPair(METRICS, ["mem", "mem"]), ["acc", "secs"]);
  assert.deepEqual(metricPair(METRICS, ["gone", "acc"]), ["acc", "secs"]);
});

test("the front's line runs along x, ties by y", () => {
  const line = frontLine([{ x: 3, y: 1 }, { x: 1, y: 5 }, { x: 2, y: 4 }, { x: 1, y: 2 }]);
  assert.deepEqual(line.map((p) => [p.x, p.y]), [[1, 2], [1, 5], [2, 4], [3, 1]]);
});

test("the span: numbers' min..max, categories seen in the space's order by value and type", () => {
  const space = { lr: LR, n: { type: "int", low: 1, high: 9 }, c: CAT, t: TWINS, f: { type: "fixed", value: 3 }, same: { type: "float", low: 0, high: 1 } };
  const boxed = [
    trial(1, 0, { lr: 1e-3, n: 4, c: 5, t: "1", f: 3, same: 0.5 }),
    trial(2, 0, { lr: 1e-5, n: 2, c: 1, t: true, f: 3, same: 0.5 }),
    trial(3, 0, { lr: 1e-4, n: 7, c: 5, t: "1", f: 3, same: 0.5 }),
  ];
  assert.deepEqual(spanRegion(boxed, space), { lr: [1e-5, 1e-3], n: [2, 7], c: [1, 5], t: ["1", true] });
  // One trial spans no number: those parameters stay open; a parameter it lacks too.
  assert.deepEqual(spanRegion([trial(1, 0, { lr: 1e-3, c: 3 })], space), { c: [3] });
  assert.deepEqual(spanRegion([], space), {});
});

test("the tab: the server's front as a line along x, infeasible apart, the rest as trials", () => {
  const trials = [
    withSecs(1, 0.9, 3.0),
    withSecs(2, 0.8, 1.0),
    withSecs(3, 0.5, 0.2),
    withSecs(4, 0.6, 1.5),
    withSecs(5, 0.7, null),
    withSecs(6, 0.99, 0.1, {}, "failed"),
  ];
  const pareto = { trial_ids: [3, 2], infeasible_ids: [1], missing_ids: [5] };
  const { note, figure } = paretoTab({ trials, metrics: METRICS, pareto, x: "secs", y: "acc", selected: new Set([2, 4]) });
  const byName = Object.fromEntries(figure.data.map((t) => [t.name, t]));
  assert.deepEqual(byName["Pareto front"].customdata, [3, 2]);
  assert.deepEqual(byName["Pareto front"].x, [0.2, 1.0]);
  assert.equal(byName["Pareto front"].mode, "lines+markers");
  assert.deepEqual(byName.infeasible.customdata, [1]);
  assert.deepEqual(byName.trials.customdata, [4]);
  assert.deepEqual(byName["Pareto front"].selectedpoints, [1]);
  assert.deepEqual(byName.trials.selectedpoints, [0]);
  assert.equal(figure.layout.dragmode, "select");
  assert.match(note, /^2 trials on the front.*1 infeasible/);
  const empty = paretoTab({ trials: [withSecs(1, 0.5, null)], metrics: METRICS, pareto, x: "secs", y: "acc" });
  assert.equal(empty.figure, null);
});

test("metric names reach plotly escaped", () => {
  const metrics = [{ name: "<b>a</b>", direction: "maximize" }, { name: "<i>s", direction: "minimize" }];
  const t = trial(1, 1, {}, "complete", { metrics: { "<i>s": 2 } });
  const { figure } = paretoTab({ trials: [t], metrics, pareto: { trial_ids: [1], infeasible_ids: [] }, x: "<b>a</b>", y: "<i>s" });
  assert.equal(figure.layout.xaxis.title.text, "&lt;b&gt;a&lt;/b&gt;");
  assert.ok(!figure.data[2].hovertext[0].includes("<i>"));
});
