// The search tree as rows and subtrees (static/js/tree.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { flattenTree, lineageDue, lineageKey, subtreeIds } from "../../static/js/tree.js";

const node = (id, ...children) => ({ search: { id }, children });
const TREE = [node(1, node(2, node(3)), node(4)), node(5)];

test("rows depth first, parents before children", () => {
  assert.deepEqual(flattenTree(TREE).map((r) => [r.search.id, r.depth]), [[1, 0], [2, 1], [3, 2], [4, 1], [5, 0]]);
});

test("a search and its descendants; none for a search not in the tree", () => {
  assert.deepEqual([...subtreeIds(TREE, 2)], [2, 3]);
  assert.deepEqual([...subtreeIds(TREE, 1)].sort(), [1, 2, 3, 4]);
  assert.equal(subtreeIds(TREE, 9), null);
});

const counted = (id, parent_id, [complete, failed, pruned], ...children) => ({
  search: { id, parent_id, counts: { complete, failed, pruned, running: 0, pending: 0 } },
  children,
});

test("the lineage's key changes with the searches and their finished trials only", () => {
  const tree = [counted(1, null, [4, 1, 0], counted(2, 1, [3, 0, 0]))];
  const key = lineageKey(tree);
  assert.equal(key, lineageKey([counted(1, null, [4, 1, 0], counted(2, 1, [3, 0, 0]))]));
  // A running trial is not a finished one: same key.
  const running = [counted(1, null, [4, 1, 0], counted(2, 1, [3, 0, 0]))];
  running[0].children[0].search.counts.running = 2;
  assert.equal(lineageKey(running), key);
  assert.notEqual(lineageKey([counted(1, null, [4, 1, 0], counted(2, 1, [4, 0, 0]))]), key);
  assert.notEqual(lineageKey([counted(1, null, [4, 1, 0], counted(2, 1, [3, 0, 1]))]), key);
  assert.notEqual(lineageKey([counted(1, null, [4, 1, 0], counted(2, 1, [3, 0, 0]), counted(3, 1, [0, 0, 0]))]), key);
});

test("the lineage is read first, then only when its key changed, one read at a time, spaced", () => {
  assert.equal(lineageDue("a", null, 0), true);
  assert.equal(lineageDue("a", null, 0, { loading: true }), false);
  const last = { key: "a", at: 1000, took: 400 };
  assert.equal(lineageDue("a", last, 60000), false); // nothing finished: no read
  assert.equal(lineageDue("b", last, 4999), false); // within ten times the last read's 400 ms
  assert.equal(lineageDue("b", last, 5000), true);
  assert.equal(lineageDue("b", last, 5000, { loading: true }), false);
  assert.equal(lineageDue("b", { key: "a", at: 1000, took: 20 }, 1200), true); // a quick read
  assert.equal(lineageDue("a", { key: null, at: 1000, took: 20 }, 1200), true); // one that failed
});
