// The region panel's draft and how an answer is read back (static/js/regiondraft.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  boxWith,
  draftBody,
  narrowing,
  otherChoices,
  otherParams,
  sortProblems,
  suggestedNote,
} from "../../static/js/regiondraft.js";
import { CAT, CLASH, LR, close } from "./fixtures.mjs";

const SPACE = { lr: LR, x: { type: "float", low: 0, high: 1 }, c: CAT, k: { type: "fixed", value: 1 } };
const BOX = { x: "lr", y: "value", xRange: [1e-4, 1e-2], yRange: [0.5, 0.2] };
const NONE = { modes: {}, suggested: null, ranges: {} };

function draft(extra = {}) {
  return draftBody({ box: BOX, parentSpace: SPACE, axisSpace: SPACE, typed: {}, picked: {}, ...NONE, ...extra });
}

test("the parameters off the axes: not plotted, not fixed", () => {
  const space = { a: LR, b: { type: "fixed", value: 1 }, c: CAT, d: LR };
  assert.deepEqual(otherParams(space, ["a", "value"]), ["c", "d"]);
});

test("the objective's axis leaves a parameter named 'value' off the plot; 'param:value' puts it on", () => {
  assert.deepEqual(otherParams(CLASH, ["x", "value"]), ["value", "duration"]);
  assert.deepEqual(otherParams(CLASH, ["param:value", "duration"]), ["duration", "x"]);
});

test("a box's draft: the plotted parameter's range and the objective's as value_range", () => {
  const { body, unreadable } = draft();
  assert.deepEqual(body, { region: { lr: [1e-4, 1e-2] }, dry_run: true, value_range: [0.2, 0.5] });
  assert.deepEqual(unreadable, {});
});

test("typed bounds go as they are; text that is no number is the one thing judged here", () => {
  const taken = draft({ typed: { lr: { low: "0.001" } } });
  assert.deepEqual(taken.body.region.lr, [0.001, 1e-2]);
  const refused = draft({ typed: { lr: { high: "  " }, c: { low: "1" } } }); // c is not on the box
  assert.deepEqual(refused.unreadable, { lr: { side: "high", problem: "not a number" } });
  assert.ok(Number.isNaN(refused.body.region.lr[1]));
  assert.equal("c" in refused.body.region, false);
});

test("ticked categories are the region's, those the parent offers", () => {
  const box = { x: "c", y: "value", xRange: [-0.4, 0.4], yRange: [0, 1] };
  const { body } = draft({ box, picked: { c: [5, 7, 3] } });
  assert.deepEqual(body.region.c, [5, 3]);
});

test("a parameter off the axes: kept by default, else narrowed to the answer's span or suggestion", () => {
  const ranges = { x: { span: [0.2, 0.4], suggested: [0.1, 0.5] } };
  assert.deepEqual(narrowing("x", { ...NONE, ranges }), ["keep", null]);
  assert.deepEqual(narrowing("x", { ...NONE, modes: { x: "span" }, ranges }), ["span", [0.2, 0.4]]);
  assert.deepEqual(narrowing("x", { ...NONE, modes: { x: "suggested" }, ranges }), ["suggested", [0.1, 0.5]]);
  assert.deepEqual(narrowing("x", { ...NONE, modes: { x: "span" } }), ["span", null]); // no answer yet
  const suggested = { region: { x: [0.3, 0.35] } };
  assert.deepEqual(narrowing("x", { ...NONE, suggested, ranges }), ["suggested", [0.3, 0.35]]);
  assert.deepEqual(narrowing("x", { ...NONE, suggested, modes: { x: "keep" } }), ["keep", null]);
  const { body } = draft({ modes: { x: "span" }, ranges });
  assert.deepEqual(body.region.x, [0.2, 0.4]);
});

test("the box moves to bounds the server took, on whichever axis shows the parameter", () => {
  assert.deepEqual(boxWith(BOX, "lr", [0.001, 0.01], SPACE).xRange, [0.001, 0.01]);
  assert.deepEqual(boxWith(BOX, "x", [0.1, 0.2], SPACE), BOX); // not on an axis: unmoved
  const onY = { x: "lr", y: "c", xRange: [0, 1], yRange: [0, 1] };
  close(boxWith(onY, "c", [3, 5], SPACE).yRange, [0.6, 2.4]);
});

test("what a parameter off the axes can be narrowed to, and a ruled-out mode falls back to keep", () => {
  const ranges = { x: { span: null, span_problem: "one trial", suggested: [0.1, 0.5] } };
  const { choices, mode } = otherChoices("x", SPACE, { ...NONE, modes: { x: "span" }, ranges });
  assert.deepEqual(choices, {
    keep: null,
    span: { problem: "one trial" },
    suggested: { bounds: [0.1, 0.5], categorical: false },
  });
  assert.equal(mode, "keep");
  const waiting = otherChoices("c", SPACE, NONE);
  assert.deepEqual(waiting.choices.span, { problem: "…" }); // while the answer is due
});

test("problems by parameter of the space, the rest general; unreadable text is a problem too", () => {
  const problems = [
    { loc: ["body", "region", "lr"], msg: "below the parent's low" },
    { loc: ["body", "region", "gone"], msg: "no such parameter" },
    { loc: ["body", "n_trials"], msg: "too many" },
  ];
  const sorted = sortProblems(problems, SPACE, { x: { side: "low", problem: "not a number" } });
  assert.deepEqual(sorted.byParam, { lr: "below the parent's low", x: "not a number" });
  assert.deepEqual(sorted.general, ["no such parameter", "too many"]);
});

test("the note of a suggested region says what it rests on and warns", () => {
  assert.equal(suggestedNote(null), "");
  assert.equal(suggestedNote({ n_complete: 12 }), "Suggested from the best of 12 completed trials.");
  assert.equal(suggestedNote({ region: {}, span: 3 }), "The span of the 3 trials selected on the trade-offs plot.");
  assert.equal(suggestedNote({ n_complete: 3, warning: "few" }), "Suggested from the best of 3 completed trials. Careful: few.");
  const kept = { trial_id: 7, inside: true, in_box: true };
  assert.equal(
    suggestedNote({ n_complete: 12, incumbent: kept, best_inside: kept, widened: ["x", "lr"] }),
    "Suggested from the best of 12 completed trials. Widened x, lr to keep trial 7, the best so far in this space.",
  );
  assert.equal(
    suggestedNote({ n_complete: 12, incumbent: { trial_id: 2, inside: false, in_box: false }, best_inside: kept, widened: [] }),
    "Suggested from the best of 12 completed trials. The best trial so far (trial 2) lies outside this search's space.",
  );
  assert.equal(
    suggestedNote({ n_complete: 12, incumbent: { ...kept, in_box: false }, best_inside: { ...kept, in_box: false }, widened: [] }),
    "Suggested from the best of 12 completed trials. The box leaves out trial 7.",
  );
});
