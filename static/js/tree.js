// Pure: the search tree from GET /api/experiments/{id}/tree, as rows and as subtrees.

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
