// The page's one selection of trials (static/js/selection.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { Selection, idsOfEvent, selectedIndices } from "../../static/js/selection.js";

test("a selection is made by a view; its listeners hear each change once", () => {
  const selection = new Selection();
  const heard = [];
  selection.subscribe((s) => heard.push([s.ids && [...s.ids], s.source, s.version]));
  selection.set([3, 1], "scatter");
  selection.set(new Set([1, 3]), "scatter"); // plotly's echo: the same, so nobody hears it
  selection.set([1, 3], "splom"); // the same ids from another view: a new selection
  selection.clear();
  selection.clear();
  assert.deepEqual(heard, [
    [[3, 1], "scatter", 1],
    [[1, 3], "splom", 2],
    [null, null, 3],
  ]);
});

test("a view knows the selection it made itself", () => {
  const selection = new Selection();
  assert.equal(selection.madeBy("scatter"), false);
  selection.set([1], "parcoords");
  assert.equal(selection.madeBy("parcoords"), true);
  assert.equal(selection.madeBy("scatter"), false);
  selection.set([], "parcoords"); // an empty selection is still one
  assert.equal(selection.madeBy("parcoords"), true);
});

test("plotly's selection event to trial ids, through each trace's customdata", () => {
  const data = [{ customdata: [10, 11] }, { customdata: [20] }, {}];
  const event = {
    points: [
      { curveNumber: 0, pointIndex: 1 },
      { curveNumber: 1, pointNumber: 0 }, // splom points have no pointIndex
      { curveNumber: 2, pointIndex: 0 }, // a trace without ids (a legend entry)
      { curveNumber: 0, pointIndex: 5 },
    ],
  };
  assert.deepEqual(idsOfEvent(event, data), [11, 20]);
  assert.deepEqual(idsOfEvent(null, data), []);
  assert.deepEqual(idsOfEvent({}, data), []);
});

test("the selected points of a trace, by index", () => {
  assert.deepEqual(selectedIndices([5, 6, 7, 8], new Set([8, 6, 1])), [1, 3]);
});
