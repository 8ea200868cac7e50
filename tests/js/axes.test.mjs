// What can go on an axis, by key (static/js/axes.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  axisChoices,
  axisLabel,
  axisLayout,
  axisValue,
  metricKey,
  paramKey,
  paramName,
  paramSpec,
  plotValue,
} from "../../static/js/axes.js";
import { CAT, CLASH, LR, trial } from "./fixtures.mjs";

test("a parameter named like a built-in axis gets the 'param:' key; others keep their name", () => {
  assert.deepEqual(["lr", "value", "duration", "metric:x", "param:y"].map(paramKey), [
    "lr",
    "param:value",
    "param:duration",
    "param:metric:x",
    "param:param:y",
  ]);
  assert.deepEqual(["lr", "param:value", "value", "number", "metric:acc"].map(paramName), ["lr", "value", null, null, null]);
  assert.equal(paramSpec("param:value", CLASH), CLASH.value);
  assert.equal(paramSpec("value", CLASH), undefined);
  assert.equal(paramSpec("missing", CLASH), undefined);
});

test("the axis choices: the parameters (not fixed ones), the objective, metrics, duration, number", () => {
  const space = { lr: LR, k: { type: "fixed", value: 1 }, value: CLASH.value };
  assert.deepEqual(axisChoices(space, ["acc"]), ["lr", "param:value", "value", "metric:acc", "duration", "number"]);
  assert.equal(metricKey("acc"), "metric:acc");
});

test("axis titles say what is on the axis", () => {
  assert.equal(axisLabel("value", "bowl"), "objective value");
  assert.deepEqual(
    ["number", "duration", "metric:acc", "lr", "param:value"].map((k) => axisLabel(k, "bowl")),
    ["trial number", "duration (s)", "metric acc", "lr", "value (parameter)"],
  );
});

test("a trial's value on an axis; null where it has none", () => {
  const t = trial(1, 0.5, { value: 13, lr: 0.01 }, "complete", { number: 9, duration: 2, metrics: { acc: 0.9 } });
  const keys = ["value", "number", "duration", "metric:acc", "param:value", "lr", "metric:gone", "x"];
  assert.deepEqual(keys.map((k) => axisValue(t, k)), [0.5, 9, 2, 0.9, 13, 0.01, null, null]);
  assert.equal(axisValue({ ...t, duration: undefined }, "duration"), null);
});

test("log axes for log parameters, category axes for categories, never SI suffixes", () => {
  assert.deepEqual(axisLayout("lr", { lr: LR }, "bowl"), {
    title: { text: "lr" },
    automargin: true,
    exponentformat: "e",
    type: "log",
  });
  const cat = axisLayout("c", { c: CAT }, "bowl");
  assert.deepEqual([cat.type, cat.categoryorder, cat.categoryarray], ["category", "array", ["1", "3", "5"]]);
  assert.equal(axisLayout("value", {}, "bowl").type, "linear");
});

test("categories are plotted as text, other values as they are", () => {
  assert.equal(plotValue("c", { c: CAT }, 3), "3");
  assert.equal(plotValue("c", { c: CAT }, null), null);
  assert.equal(plotValue("lr", { lr: LR }, 0.1), 0.1);
});
