// The colours and symbols that tell searches apart (static/js/palette.js) and the trial page's
// chart (static/js/trialcurve.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { COLORS, SYMBOLS, VIRIDIS, bandedColorscale, channels, colorAt, hexOf, scaleLevels, searchStyles } from "../../static/js/palette.js";
import { curveFigure } from "../../static/js/trialcurve.js";

test("a search keeps its style by id rank, whatever order or filter", () => {
  const all = searchStyles([{ id: 7 }, { id: 3 }, { id: 5 }]);
  assert.deepEqual(all.get(3), { symbol: SYMBOLS[0], color: COLORS[0] });
  assert.deepEqual(all.get(7), { symbol: SYMBOLS[2], color: COLORS[2] });
});

test("no two of 400 searches look the same", () => {
  const styles = searchStyles(Array.from({ length: 400 }, (_, i) => ({ id: i + 1 })));
  assert.equal(new Set([...styles.values()].map((s) => `${s.symbol}|${s.color}`)).size, 400);
});

test("a banded colour scale: one band per colour", () => {
  assert.deepEqual(bandedColorscale(["a", "b"]), [[0, "a"], [0.5, "a"], [0.5, "b"], [1, "b"]]);
});

test("the trial page's curve is drawn in step order, whole steps on a short one", () => {
  const figure = curveFigure([[2, 0.5], [0, 1], [1, 0.7]]);
  assert.deepEqual([figure.data[0].x, figure.data[0].y], [[0, 1, 2], [1, 0.7, 0.5]]);
  assert.equal(figure.layout.xaxis.dtick, 1);
  const long = curveFigure(Array.from({ length: 21 }, (_, i) => [i, i]));
  assert.equal(long.layout.xaxis.dtick, undefined);
});

test("a colour scale sampled in levels, as plotly mixes it: in RGB between its stops", () => {
  assert.deepEqual(channels("#ff8000"), [1, 128 / 255, 0]);
  assert.equal(hexOf([1, 128 / 255, 0]), "#ff8000");
  const scale = [[0, "#000000"], [0.25, "#ff0000"], [1, "#ffffff"]];
  assert.equal(colorAt(scale, 0), "#000000");
  assert.equal(colorAt(scale, 0.125), "#800000");
  assert.equal(colorAt(scale, 0.625), "#ff8080");
  assert.equal(colorAt(scale, 2), "#ffffff"); // clamped
  const levels = scaleLevels(VIRIDIS);
  assert.deepEqual([levels.length, levels[0], levels[255]], [256, "#440154", "#fde725"]);
  assert.deepEqual(scaleLevels(VIRIDIS, { reverse: true, levels: 3 }), ["#fde725", colorAt(VIRIDIS, 0.5), "#440154"]);
});
