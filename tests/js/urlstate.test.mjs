// The view's state in the page's link (static/js/urlstate.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { readNarrowing, readPicks, readState, withNarrowing, withPicks, writeState } from "../../static/js/urlstate.js";
import { CAT, TWINS } from "./fixtures.mjs";

const VIEW = {
  x: "lr",
  y: "value",
  color: "metric:a b",
  parent: 3,
  search: 7,
  showFailed: false,
  box: { x: "lr", y: "value", xRange: [0.001, 0.1], yRange: [-1, 2.5] },
  view: "splom",
};

test("a view survives its link", () => {
  const back = readState(writeState(VIEW));
  assert.deepEqual(back, { ...VIEW, box: { xRange: [0.001, 0.1], yRange: [-1, 2.5] } });
});

test("only what differs from the defaults is written, the axes always", () => {
  const query = writeState({ x: "a", y: "value", color: "value", parent: null, search: null, showFailed: true, box: null });
  assert.equal(query, "?x=a&y=value&color=value");
  assert.equal(writeState({ ...VIEW, view: "history" }).includes("view="), false);
});

test("a box drawn on other axes than the link's is not written", () => {
  assert.equal(writeState({ ...VIEW, box: { ...VIEW.box, x: "other" } }).includes("box="), false);
});

test("what is missing or malformed reads as null; failed trials show by default", () => {
  const empty = readState("");
  assert.deepEqual(empty, {
    x: null,
    y: null,
    color: null,
    parent: null,
    search: null,
    showFailed: true,
    box: null,
    view: null,
  });
  const bad = readState("?parent=-1&search=1.5&box=1,2,3&failed=1");
  assert.deepEqual([bad.parent, bad.search, bad.box, bad.showFailed], [null, null, null, true]);
  assert.equal(readState("?box=1,2,x,4").box, null);
});

test("a ticked category's name holding ':' and '&' survives the link", () => {
  const space = { "a:b&c": CAT };
  assert.deepEqual(readPicks(withPicks("?x=a", { "a:b&c": [5, 1] }, space), space), { "a:b&c": [1, 5] });
});

test("picks replace the ones in the link, by index into the parent's choices", () => {
  assert.equal(withPicks("?x=a&pick=old:1", { c: [5] }, { c: CAT }), "?x=a&pick=c%3A2");
});

test("a pick the parent no longer offers is not written", () => {
  assert.equal(withPicks("?x=a", { c: [2] }, { c: CAT }), "?x=a");
});

test("picks without a separator, of no categorical parameter, past the choices or empty are dropped", () => {
  assert.deepEqual(readPicks("?pick=c&pick=zz:1&pick=c:9&pick=c:", { c: CAT }), {});
  assert.deepEqual(readPicks("?pick=x:0", { x: { type: "float", low: 0, high: 1 } }), {});
});

test("choices alike as text but not in type stay apart through the link", () => {
  const space = { t: TWINS };
  assert.deepEqual(readPicks(withPicks("", { t: ["1", "true"] }, space), space), { t: ["1", "true"] });
});

test("how the other parameters are narrowed survives the link; keep is the default", () => {
  const query = withNarrowing("?x=a&narrow=old", { b: "span", c: "suggested", d: "keep" });
  assert.equal(query, "?x=a&narrow=b&narrow=c%3Asuggested");
  assert.deepEqual(readNarrowing(query), { b: "span", c: "suggested" });
});
