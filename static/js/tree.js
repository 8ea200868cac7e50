// Pure: the search tree from GET /api/experiments/{id}/tree, as rows and as subtrees, and when
// the lineage of its searches (their best so far and gains) is due to be read again.

// Depth-first rows, parents before children: [{search, depth}].
export function flattenTree(nodes, depth = 0) {
  return nodes.flatMap((node) => [{ search: node.search, depth }, ...flattenTree(node.children, depth + 1)]);
}

function findNode(nodes, id) {
  for (const node of nodes) {
    if (node.search.id === id) return node;
    const found = findNode(node.children, id);
    if (found) return found;
  }
  return null;
}

// The ids of a search and all its descendants; null when the search is not in the tree.
export function subtreeIds(nodes, id) {
  const node = findNode(nodes, id);
  if (!node) return null;
  const ids = new Set();
  const visit = (n) => {
    ids.add(n.search.id);
    n.children.forEach(visit);
  };
  visit(node);
  return ids;
}

// What the lineage of the tree's searches depends on: which searches there are, under which
// parent, and how many trials each finished. The page reads the lineage again only when this
// changes (polls that bring no finished trial read nothing).
export function lineageKey(nodes) {
  return flattenTree(nodes)
    .map(({ search: s }) => `${s.id}<${s.parent_id}:${s.counts.complete}/${s.counts.failed}/${s.counts.pruned}`)
    .join(" ");
}

// Whether to read the lineage now: its key changed since the last read (`last`: {key, at, took},
// when it started and how long it took, in ms; null before the first), no read is in flight,
// and the last read is `spacing` times its own duration ago, so that reading it costs the server
// at most about 1/spacing of its time however often trials finish (a read took 0.4 s for a
// root of 100,000 trials and two children of 10,000; the tree, 27 ms).
export function lineageDue(key, last, now, { loading = false, spacing = 10 } = {}) {
  if (loading) return false;
  if (!last) return true;
  return key !== last.key && now >= last.at + spacing * last.took;
}
