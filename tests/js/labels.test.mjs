// The text that names searches, regions, objectives' values and trials (static/js/labels.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { FALLBACK, hoverOf, regionText, searchLabel, setValueLabels, valueLabel } from "../../static/js/labels.js";
import { trial } from "./fixtures.mjs";

test("a search is named by its id and its parent's", () => {
  assert.equal(searchLabel({ id: 1, parent_id: null }), "search 1 (coarse)");
  assert.equal(searchLabel({ id: 4, parent_id: 1 }), "search 4 ← 1");
});

test("a region in words: ranges in the page's number format, categories as sets", () => {
  assert.equal(regionText(null), "whole space");
  assert.equal(regionText({ lr: [0.00012346, 0.5], opt: ["sgd", "adam"] }), "lr ∈ [1.235e-4, 0.5]; opt ∈ {sgd, adam}");
  assert.equal(regionText({ c: [true] }), "c ∈ {true}");
});

test("an objective's value is named by what it measures, else the fallback", () => {
  setValueLabels([{ name: "digits", value_label: "validation accuracy" }, { name: "bowl", value_label: null }]);
  assert.equal(valueLabel("digits"), "validation accuracy");
  assert.equal(valueLabel("bowl"), FALLBACK);
  assert.equal(valueLabel("unknown"), "objective value");
});

test("a trial's hover text: search, number, value, parameters escaped, state unless complete", () => {
  const t = trial(3, 0.25, { "<x>": "<b>", lr: 0.00012 }, "failed", { number: 7 });
  assert.equal(
    hoverOf(t, "search 2 ← 1"),
    "<b>search 2 ← 1 · trial 7</b><br>value: 0.25<br>&lt;x&gt;: &lt;b&gt;<br>lr: 1.2e-4<br>state: failed",
  );
  assert.equal(hoverOf(trial(4, 1)), "<b>search 1 · trial 4</b><br>value: 1");
});

test("a hover text is built once per trial and label", () => {
  const t = trial(5, 1, { a: 1 });
  const first = hoverOf(t, "one");
  t.params.a = 2; // trials are replaced when they change, never edited: the cache shows this
  assert.equal(hoverOf(t, "one"), first);
  assert.notEqual(hoverOf(t, "two"), first);
});
