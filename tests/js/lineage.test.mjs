// The compare tab's figures and rows (static/js/views/lineage.js), from a lineage answer shaped
// as GET /api/experiments/{id}/lineage sends it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { GL_POINTS } from "../../static/js/scatter.js";
import { beatText, defaultPair, edfFigure, gainRows, pairFigure, progressFigure } from "../../static/js/views/lineage.js";
import { LR, trial } from "./fixtures.mjs";

const SEARCHES = [
  { id: 1, parent_id: null },
  { id: 2, parent_id: 1 },
  { id: 3, parent_id: null },
];
const edf = (values, fractions) => ({ values, fractions, n: values.length, exact: true });
const LINEAGE = {
  experiment_id: 1,
  direction: "minimize",
  searches: [
    { id: 1, parent_id: null, trials: 5, complete: 4, best: 0.2, best_so_far: [[1, 0.2], [5, 0.2]], edf: edf([0.2, 0.5, 0.8, 1], [0.25, 0.5, 0.75, 1]), start: 0, at_creation: 0, gain: null },
    {
      id: 2, parent_id: 1, trials: 5, complete: 4, best: 0.6,
      best_so_far: [[1, 1.5], [2, 0.9], [3, 0.7], [5, 0.6]],
      edf: edf([0.6, 0.7, 0.9, 1.5], [0.25, 0.5, 0.75, 1]), start: 5, at_creation: 5,
      gain: { baseline_search_id: 1, search_id: 2, basis: "region", baseline: 0.8, best: 0.6, gain: 0.2, trials_to_beat: 3 },
    },
    { id: 3, parent_id: null, trials: 0, complete: 0, best: null, best_so_far: [], edf: edf([], []), start: 0, at_creation: 0, gain: null },
  ],
};

test("the best so far: a child's line starts where it was made, over a dotted line of its baseline", () => {
  const { data, layout } = progressFigure({ lineage: LINEAGE, searches: SEARCHES, direction: "minimize", objective: "x" });
  assert.deepEqual(data.map((t) => t.name), ["search 1 (coarse)", "search 2 ← 1", "search 2 ← 1: parent's best in its region"]);
  assert.deepEqual(data[0].x, [1, 5]);
  assert.deepEqual(data[1].x, [6, 7, 8, 10]); // after the parent's 5 trials
  assert.deepEqual(data[1].y, [1.5, 0.9, 0.7, 0.6]);
  assert.deepEqual([data[2].x, data[2].y], [[5, 10], [0.8, 0.8]]);
  assert.equal(data[2].line.dash, "dot");
  assert.equal(data[1].line.color, data[2].line.color);
  assert.equal(layout.yaxis.type, "linear");
  // A filter to search 1's subtree leaves search 3 out; a search without trials draws nothing.
  const only = progressFigure({ lineage: LINEAGE, searches: SEARCHES, visible: new Set([2]), direction: "minimize", objective: "x" });
  assert.deepEqual(only.data.map((t) => t.customdata?.[0] ?? "baseline"), [2, "baseline"]);
});

test("the EDF: a step line per search from 0 at its smallest value", () => {
  const { data, layout } = edfFigure({ lineage: LINEAGE, searches: SEARCHES, objective: "x" });
  assert.equal(data.length, 2);
  assert.deepEqual(data[1].x, [0.6, 0.6, 0.7, 0.9, 1.5]);
  assert.deepEqual(data[1].y, [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(data[1].line.shape, "hv");
  assert.equal(data[0].name, "search 1 (coarse) (4)");
  assert.deepEqual(layout.yaxis.range, [0, 1.02]);
});

test("the gain rows: one per refinement, with what it had to beat", () => {
  assert.deepEqual(gainRows({ lineage: LINEAGE, searches: SEARCHES }), [
    { id: 2, label: "search 2 ← 1", parentId: 1, atCreation: 5, trials: 5, baseline: 0.8, best: 0.6, gain: 0.2, trialsToBeat: 3 },
  ]);
  assert.deepEqual(gainRows({ lineage: LINEAGE, searches: SEARCHES, visible: new Set([1, 3]) }), []);
});

test("the default pair is the newest refinement and its parent", () => {
  assert.deepEqual(defaultPair(SEARCHES), [1, 2]);
  assert.deepEqual(defaultPair([{ id: 1, parent_id: null }, { id: 4, parent_id: null }]), [1, 4]);
  assert.deepEqual(defaultPair([{ id: 7, parent_id: null }]), [7, 7]);
  assert.deepEqual(defaultPair([]), [null, null]);
});

test("the pair: each search's complete trials on the scatter's axes, in its colour, text escaped", () => {
  const space = { lr: LR, solver: { type: "categorical", choices: ["<b>sgd</b>", "adam"] } };
  const trials = [
    trial(1, 0.5, { lr: 1e-3, solver: "<b>sgd</b>" }),
    trial(2, 0.4, { lr: 1e-2, solver: "adam" }, "complete", { searchId: 2 }),
    trial(3, null, { lr: 1e-4, solver: "adam" }, "failed", { searchId: 2 }),
    trial(4, 0.1, { lr: 1e-1, solver: "adam" }, "complete", { searchId: 3 }),
  ];
  const fig = pairFigure({ trials, a: 1, b: 2, searches: SEARCHES, x: "lr", y: "solver", space, objective: "x" });
  assert.deepEqual(fig.data.map((t) => t.customdata), [[1], [2]]);
  assert.deepEqual(fig.data[0].y, ["&lt;b&gt;sgd&lt;/b&gt;"]);
  assert.deepEqual(fig.data[1].x, [1e-2]);
  assert.ok(fig.data[0].name.startsWith("A: search 1 (coarse)") && fig.data[1].name.startsWith("B: search 2"));
  assert.notEqual(fig.data[0].marker.color, fig.data[1].marker.color);
  assert.equal(fig.layout.xaxis.type, "log");
  assert.equal(fig.layout.yaxis.type, "category");
  assert.equal(fig.data[0].type, "scatter");
  const same = pairFigure({ trials, a: 2, b: 2, searches: SEARCHES, x: "lr", y: "value", space, objective: "x" });
  assert.equal(same.data.length, 1);
  const many = Array.from({ length: GL_POINTS }, (_, i) => trial(i + 10, i, { lr: 1e-3, solver: "adam" }));
  assert.equal(pairFigure({ trials: many, a: 1, b: 2, searches: SEARCHES, x: "lr", y: "value", space, objective: "x" }).data[0].type, "scattergl");
});

test("trials to beat: 'k of n', 'not yet', or a dash without a baseline (as the tree writes them)", () => {
  assert.equal(beatText(0.8, 3, 5), "3 of 5");
  assert.equal(beatText(0.8, null, 2), "not yet");
  assert.equal(beatText(null, null, 5), "–");
});
