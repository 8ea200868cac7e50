// What each analysis tab shows: its note and its figure (static/js/views/*.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { setValueLabels } from "../../static/js/labels.js";
import { BEST_CURVES, MAX_CURVES, curveTrials, curvesTab } from "../../static/js/views/curves.js";
import { MAX_LINES, bestLast, finishedSample, shorten, thin } from "../../static/js/views/dimensions.js";
import { bestSoFar, historyTab } from "../../static/js/views/history.js";
import { importanceTab } from "../../static/js/views/importancebars.js";
import { brushConstraints, parcoordsTab } from "../../static/js/views/parcoords.js";
import { matrixParams, splomTab } from "../../static/js/views/splom.js";
import { LR, trial } from "./fixtures.mjs";

const SPACE = { lr: LR, x: { type: "float", low: 0, high: 1 }, k: { type: "fixed", value: 1 } };
const SEARCHES = [{ id: 1, parent_id: null }];
const trials = (n) => Array.from({ length: n }, (_, i) => trial(i + 1, (i * 7) % 5, { lr: 10 ** -(i % 4), x: i / n }));

test("the best so far steps down at each improvement and reaches the last trial", () => {
  const run = [trial(1, 3), trial(2, null, {}, "failed"), trial(3, 1), trial(4, 2), trial(5, 0.5), trial(6, 4)];
  assert.deepEqual(bestSoFar(run, "minimize"), [
    { number: 1, best: 3 },
    { number: 3, best: 1 },
    { number: 5, best: 0.5 },
    { number: 6, best: 0.5 },
  ]);
  assert.deepEqual(bestSoFar(run, "maximize").map((p) => p.best), [3, 4]);
  assert.deepEqual(bestSoFar([], "minimize"), []);
});

test("the history tab: a line per search, a note while none finished", () => {
  setValueLabels([{ name: "digits", value_label: "validation accuracy" }]);
  const tab = historyTab({ trials: trials(5), searches: SEARCHES, visible: null, direction: "minimize", objective: "digits" });
  assert.equal(tab.note, "");
  assert.equal(tab.figure.data.length, 1);
  assert.ok(tab.figure.layout.yaxis.title.text.startsWith("validation accuracy<br>best so far (minimize)"));
  const none = historyTab({ trials: [], searches: SEARCHES, visible: null, direction: "minimize", objective: "x" });
  assert.deepEqual([none.note, none.figure.data], ["No finished trials yet.", []]);
});

test("the importance tab: no bars before a parameter is ranked, a rough note with few trials", () => {
  assert.deepEqual(importanceTab([{ name: "lr", score: null, share: null, n: 3 }]), {
    note: "Needs at least 8 finished trials to rank the parameters.",
    figure: null,
  });
  const ranking = [
    { name: "lr", score: 0.6, share: 0.75, n: 12 },
    { name: "x", score: 0.2, share: 0.25, n: 12 },
  ];
  const tab = importanceTab(ranking);
  assert.ok(tab.note.startsWith("From 12 finished trials. With this few, the ranking is rough"));
  assert.deepEqual(tab.figure.data[0].y, ["x", "lr"]); // the most important on top
  const nothing = importanceTab([{ name: "lr", score: 0, share: 0, n: 40 }]);
  assert.ok(nothing.note.startsWith("From 40 finished trials. No parameter stands out from chance. Each bar"));
});

test("the matrix and the lines take finished trials, thinned evenly, the kept ones kept, best last", () => {
  const many = trials(MAX_LINES + 10);
  const keep = new Set([2]);
  const { shown, thinned, enough } = finishedSample([...many, trial(0, null, {}, "failed")], "minimize", keep);
  assert.equal(enough, true);
  assert.ok(shown.length <= MAX_LINES + 1 && shown.some((t) => t.id === 2));
  assert.equal(thinned, ` Showing ${shown.length} of ${many.length} trials, evenly thinned.`);
  assert.equal(shown[shown.length - 1].value, 0); // the best drawn last
  assert.deepEqual(finishedSample(trials(3), "minimize").thinned, "");
  assert.equal(finishedSample(trials(1), "minimize").enough, false);
  assert.deepEqual(thin([1, 2, 3, 4].map((id) => ({ id })), 2).map((t) => t.id), [1, 3]);
  assert.deepEqual(bestLast([trial(1, 1), trial(2, 3)], "maximize").map((t) => t.id), [1, 2]);
  assert.equal(shorten("a_rather_long_parameter_name"), "a_rather_long_p…");
});

test("the scatter-matrix tab: the most important parameters, the rest after them", () => {
  assert.deepEqual(matrixParams([{ name: "x", score: 0.3 }, { name: "lr", score: null }], SPACE), ["x", "lr"]);
  const tab = splomTab({
    trials: trials(10),
    space: SPACE,
    objective: "bowl",
    direction: "minimize",
    searches: SEARCHES,
    ranking: [],
    selected: new Set([4]),
  });
  assert.equal(tab.note, "The 2 most important parameters against the objective.");
  assert.deepEqual(tab.figure.data[0].selectedpoints.length, 1);
  assert.ok(tab.figure.data[0].hovertext[0].startsWith("<b>search 1 (coarse) · trial"));
  assert.equal(splomTab({ trials: trials(1), space: SPACE, searches: SEARCHES, ranking: [] }).figure, null);
});

test("the parallel-coordinates tab: its lines for the brushes, and brushes read back by key", () => {
  const tab = parcoordsTab({ trials: trials(10), space: SPACE, objective: "bowl", direction: "minimize", constraints: {} });
  assert.equal(tab.note, "Drag along an axis to select a range; click it to clear.");
  assert.deepEqual(tab.lines.dims.map((d) => d.key), ["lr", "x", "value"]);
  assert.equal(tab.lines.rows.length, 10);
  const plotted = [{ constraintrange: [-2, -1] }, {}, { constraintrange: [0, 1] }, { constraintrange: [5, 6] }];
  assert.deepEqual(brushConstraints(plotted, tab.lines.dims), { lr: [-2, -1], value: [0, 1] });
  const few = parcoordsTab({ trials: [], space: SPACE, objective: "bowl", direction: "minimize", constraints: {} });
  assert.deepEqual(few, { note: "Needs at least 2 finished trials.", figure: null, lines: null });
});

test("the curves to draw: the best few, then the selected ones best first, at most MAX_CURVES", () => {
  const run = Array.from({ length: 100 }, (_, i) => trial(i + 1, i % 2 ? i : -i));
  run.push(trial(101, null, {}, "failed"));
  const ids = (picked) => picked.map((p) => p.id);
  assert.deepEqual(ids(curveTrials(run, "maximize")), [100, 98, 96, 94, 92, 90, 88, 86]);
  assert.equal(curveTrials(run, "maximize").length, BEST_CURVES);
  assert.equal(curveTrials(run, "minimize", new Set(run.map((t) => t.id))).length, MAX_CURVES);
  assert.deepEqual(ids(curveTrials(run, "minimize", new Set([101, 3]))).slice(-2), [3, 101]);
});

test("the curves tab says whose curves it draws", () => {
  const picked = [trial(1, 0.1), trial(2, 0.2), trial(3, 0.3)];
  const curves = new Map(picked.map((t) => [t.id, { steps: [0, 1], values: [1, t.value] }]));
  const tab = curvesTab({ picked, curves, selected: null, objective: "bowl" });
  assert.equal(tab.note, "Intermediate values of the best trials.");
  assert.equal(tab.figure.data.length, 3);
  const some = curvesTab({ picked, curves, selected: new Set([2, 3, 9]), objective: "bowl" });
  assert.equal(some.note, "Intermediate values of the best trials and the best 2 of the 3 selected (orange).");
  const all = curvesTab({ picked, curves, selected: new Set([2]), objective: "bowl" });
  assert.equal(all.note, "Intermediate values of the best trials and the selected ones (orange).");
  assert.deepEqual(curvesTab({ picked, curves: new Map(), objective: "bowl" }), {
    note: "These trials reported no intermediate values.",
    figure: null,
  });
});
