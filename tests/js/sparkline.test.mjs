// The search tree's best-so-far sparkline (static/js/sparkline.js): steps over the search's own
// trials, larger values up, and a refinement's baseline on the same scale.
import assert from "node:assert/strict";
import { test } from "node:test";

import { sparkline } from "../../static/js/sparkline.js";

const BOX = { width: 84, height: 24, pad: 2 }; // an 80 x 20 plot inside

test("nothing to draw without a finished complete trial", () => {
  assert.equal(sparkline([], BOX), null);
  assert.equal(sparkline(undefined, BOX), null);
});

test("steps from each new best to the next, over the search's own trials", () => {
  // The child of tests/support/lineage.py: 1.5, 0.9, 0.7 and, at its fifth trial, 0.6.
  const line = sparkline([[1, 1.5], [2, 0.9], [3, 0.7], [5, 0.6]], BOX);
  assert.equal(line.log, false);
  assert.equal(line.baselineY, null);
  // x: trials spent / 5 of 80 px; y: 1.5 at the top (2), 0.6 at the bottom (22).
  assert.equal(line.d, "M18 2H34V15.3H50V19.8H82V22");
});

test("the baseline shares the scale, so the line crosses it where the search beat it", () => {
  const line = sparkline([[1, 1.5], [2, 0.9], [3, 0.7], [5, 0.6]], { ...BOX, baseline: 0.8 });
  assert.equal(line.baselineY, 17.6); // between 0.9 (15.3) and 0.7 (19.8)
  // A baseline out of the line's range widens the scale: the line sits below it.
  const above = sparkline([[1, 0.5], [4, 0.4]], { ...BOX, baseline: 0.9 });
  assert.equal(above.baselineY, 2);
  assert.equal(above.d, "M22 18H82V22");
});

test("maximizing draws a rising line; one value is a level line through the middle", () => {
  assert.equal(sparkline([[1, 0.5], [2, 0.9]], BOX).d, "M42 22H82V2");
  assert.equal(sparkline([[3, 0.7]], BOX).d, "M82 12");
  assert.equal(sparkline([[1, 0.7], [4, 0.7]], BOX).d, "M22 12H82V12");
});

test("log scale when the values are positive and span more than a factor of 100", () => {
  const line = sparkline([[1, 1000], [2, 10], [10, 1]], BOX);
  assert.equal(line.log, true);
  assert.equal(line.d, "M10 2H18V15.3H82V22"); // 10 sits two thirds of the way down
  assert.equal(sparkline([[1, 1000], [2, -1]], BOX).log, false);
});

test("a search that improves at every one of 200,000 trials: one step per column, same line", () => {
  const points = Array.from({ length: 200_000 }, (_, i) => [i + 1, -i]);
  const line = sparkline(points, BOX);
  const steps = line.d.split("H").length - 1;
  assert.ok(steps <= 801, `${steps} steps for 80 px`); // one per tenth of a pixel at most
  assert.ok(line.d.startsWith("M2 2H")); // the first point, the largest value, at the top
  assert.ok(line.d.endsWith("H82V22")); // the last best, the smallest, at the bottom right
  // Thinning keeps every column's last level: a few points give the path they gave before.
  assert.equal(sparkline([[1, 1.5], [2, 0.9], [3, 0.7], [5, 0.6]], BOX).d, "M18 2H34V15.3H50V19.8H82V22");
});
