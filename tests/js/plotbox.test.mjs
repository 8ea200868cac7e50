// Plot geometry of the region panel's box (static/js/plotbox.js). Every rule of a region is the
// server's, tested in tests/core/test_preview.py and test_region.py; this is what is left.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  boxFromRegion,
  boxRegion,
  categoryRange,
  extentOf,
  positions,
  sameBox,
  trialsInside,
  valueRange,
} from "../../static/js/plotbox.js";
import { CAT, CLASH, TWINS, close } from "./fixtures.mjs";

const trial = (value, params) => ({ id: 1, searchId: 1, number: 0, state: "complete", value, params });

test("the objective's axis is no parameter of the box; a box past the range is cut to it", () => {
  assert.deepEqual(boxRegion({ x: "x", y: "value", xRange: [0.1, 0.2], yRange: [12, 14] }, CLASH), { x: [0.1, 0.2] });
  assert.deepEqual(boxRegion({ x: "param:value", y: "value", xRange: [8, 14], yRange: [0, 1] }, CLASH), {
    value: [10, 14],
  });
});

test("a box drawn right to left or bottom to top is the same box", () => {
  assert.deepEqual(boxRegion({ x: "x", y: "value", xRange: [0.2, 0.1], yRange: [14, 12] }, CLASH), { x: [0.1, 0.2] });
});

test("category positions are matched by value and type: 1, '1' and true stay apart", () => {
  const box = { x: "t", y: "value", xRange: [-0.4, 1.4], yRange: [0, 1] };
  assert.deepEqual(boxRegion(box, { t: TWINS }), { t: [1, "1"] });
});

test("a category axis shows the experiment's choices; the parent may have fewer", () => {
  const parent = { c: { type: "categorical", choices: [1, 5] } };
  const box = { x: "c", y: "value", xRange: [0.6, 2.4], yRange: [0, 1] }; // positions 1, 2: 3 and 5
  assert.deepEqual(boxRegion(box, parent, { c: CAT }), { c: [5] });
});

test("the box's extent on the objective's axis, sorted, and none without it", () => {
  assert.deepEqual(valueRange({ x: "x", y: "value", xRange: [0, 1], yRange: [3, 2] }), [2, 3]);
  assert.deepEqual(valueRange({ x: "value", y: "x", xRange: [5, 4], yRange: [0, 1] }), [4, 5]);
  assert.equal(valueRange({ x: "x", y: "duration", xRange: [0, 1], yRange: [3, 2] }), null);
});

test("a region's box: its bounds on parameter axes, the plotted extent on the objective's", () => {
  const region = { value: [12, 14], duration: [0.01, 0.1] };
  const objective = boxFromRegion(region, "param:duration", "value", CLASH, CLASH, () => [1, 3]);
  assert.deepEqual(objective.xRange, [0.01, 0.1]);
  assert.deepEqual(objective.yRange, [1, 3]); // a region never bounds the objective
  const params = boxFromRegion(region, "param:value", "param:duration", CLASH, CLASH, () => [1, 3]);
  assert.deepEqual([params.xRange, params.yRange], [[12, 14], [0.01, 0.1]]);
  const open = boxFromRegion({}, "x", "value", CLASH, CLASH, () => [1, 3]);
  assert.deepEqual(open.xRange, [0, 1]); // a parameter the region leaves open: its whole range
});

test("a region's categories sit at their positions among the axis's choices", () => {
  const box = boxFromRegion({ c: [3, 5] }, "c", "value", { c: CAT }, { c: CAT }, () => [0, 1]);
  close(box.xRange, [0.6, 2.4]);
});

test("no box where an axis has no extent", () => {
  assert.equal(boxFromRegion({}, "x", "value", CLASH, CLASH, () => null), null);
});

test("the plotted extent skips what is no number and pads a little", () => {
  close(extentOf([1, 3, null, NaN]), [1 - 0.06, 3 + 0.06]);
  close(extentOf([2]), [2 - 0.06, 2 + 0.06]); // one value: padded by its size
  close(extentOf([0, 0]), [-0.03, 0.03]);
  assert.equal(extentOf([null, "a"]), null);
});

test("a large extent does not overflow the stack", () => {
  const values = Array.from({ length: 200000 }, (_, i) => i);
  assert.equal(extentOf(values)[1] > 199999, true);
});

test("boxes are the same up to a thousandth of their width, in decades on a log axis", () => {
  const a = { x: "param:duration", y: "value", xRange: [0.01, 0.1], yRange: [0, 1] };
  assert.equal(sameBox(a, { ...a, xRange: [0.01, 0.1002] }, CLASH), true); // not within 0.09/1000
  assert.equal(sameBox(a, { ...a, xRange: [0.01, 0.11] }, CLASH), false);
  assert.equal(sameBox(a, { ...a, y: "x" }, CLASH), false);
  assert.equal(sameBox(a, null, CLASH), false);
  const lin = { x: "x", y: "value", xRange: [0, 1], yRange: [0, 1] };
  assert.equal(sameBox(lin, { ...lin, xRange: [1, 0.0005] }, CLASH), true);
});

test("the trials inside a box, by axis key: the parameter 'value' is not the objective", () => {
  const trials = [trial(0.5, { value: 13, x: 0.5 }), trial(13, { value: 20, x: 0.5 })];
  const box = { x: "param:value", y: "value", xRange: [12, 14], yRange: [0, 1] };
  assert.equal(trialsInside(trials, box, CLASH).length, 1);
});

test("trials inside a box on a category axis, and none without a value", () => {
  const trials = [trial(1, { c: 3 }), trial(1, { c: 5 }), trial(null, { c: 3 }), trial(1, { c: "3" })];
  const box = { x: "c", y: "value", xRange: [0.6, 1.4], yRange: [0, 2] };
  assert.equal(trialsInside(trials, box, { c: CAT }).length, 1);
});

test("a category range covers the chosen categories, matched by type", () => {
  close(categoryRange([3, 5], [0, 1, 3, 5, 7]), [1.6, 3.4]);
  close(categoryRange(["1"], TWINS.choices), [0.6, 1.4]);
  assert.deepEqual(positions([5, 2, 1], CAT.choices), [2, 0]);
});
