// Ticks at round values in the page's number format (static/js/ticks.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { axisTicks, linearTicks, logTicks } from "../../static/js/ticks.js";
import { close } from "./fixtures.mjs";

test("linear ticks at round steps covering the span", () => {
  assert.deepEqual(linearTicks(0, 1), { tickvals: [0, 0.2, 0.4, 0.6, 0.8, 1], ticktext: ["0", "0.2", "0.4", "0.6", "0.8", "1"] });
  assert.deepEqual(linearTicks(-3, 7).tickvals, [-2, 0, 2, 4, 6]);
  assert.deepEqual(linearTicks(0.1, 0.3).tickvals, [0.1, 0.15, 0.2, 0.25, 0.3]); // no 0.15000000000000002
});

test("integer axes tick whole numbers only", () => {
  assert.deepEqual(linearTicks(1, 3, { integer: true }).tickvals, [1, 2, 3]);
  assert.deepEqual(linearTicks(1, 3).tickvals, [1, 1.5, 2, 2.5, 3]);
});

test("an empty span still gets ticks", () => {
  assert.deepEqual(linearTicks(5, 5).tickvals, [5]);
});

test("log ticks at decades over many, 1-2-5 over a few, evenly spaced within one", () => {
  const wide = logTicks(-6, 0);
  close(wide.tickvals, [-6, -5, -4, -3, -2, -1, 0]);
  assert.deepEqual(wide.ticktext, ["1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1"]);
  assert.deepEqual(logTicks(-1, 0).ticktext, ["0.1", "0.2", "0.5", "1"]);
  const narrow = logTicks(Math.log10(2), Math.log10(3));
  assert.deepEqual(narrow.ticktext, ["2", "2.5", "3"]);
  close(narrow.tickvals, [Math.log10(2), Math.log10(2.5), Math.log10(3)]);
});

test("axis ticks over values in real units, padded when they are one value", () => {
  assert.deepEqual(axisTicks([0.2, 0.9, null, "a"]), {
    tickmode: "array",
    tickvals: [0.2, 0.4, 0.6, 0.8],
    ticktext: ["0.2", "0.4", "0.6", "0.8"],
  });
  assert.deepEqual(axisTicks([3, 3], { integer: true }).tickvals, [2, 3, 4]);
  assert.deepEqual(axisTicks([]), {});
});

test("log axis ticks are real values, not their logarithms; non-positive values are skipped", () => {
  const ticks = axisTicks([1e-4, 1e-1, 0, -1], { log: true });
  assert.deepEqual(ticks.tickvals, [1e-4, 1e-3, 0.01, 0.1]);
  assert.deepEqual(ticks.ticktext, ["1e-4", "0.001", "0.01", "0.1"]);
});
