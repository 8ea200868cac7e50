// The search tree as rows and subtrees (static/js/tree.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { flattenTree, subtreeIds } from "../../static/js/tree.js";

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
