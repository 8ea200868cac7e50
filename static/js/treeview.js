// The searches table as a tree: coarse → fine → finer; a click filters the page to a subtree.
import { fmt } from "./format.js";
import { regionText, searchLabel } from "./labels.js";
import { flattenTree } from "./tree.js";

function searchButton(search, depth, selected, onSelect) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tree-node";
  button.style.marginLeft = `${depth * 1.4}rem`;
  button.textContent = (depth ? "↳ " : "") + searchLabel(search);
  button.setAttribute("aria-pressed", String(selected));
  button.title = selected ? "Show all searches again" : "Show only this search and its refinements";
  button.addEventListener("click", () => onSelect(selected ? null : search.id));
  return button;
}

function row({ search: s, depth }, selectedId, onSelect) {
  const finished = s.counts.complete + s.counts.failed + s.counts.pruned;
  const cells = [
    s.parent_id === null ? "–" : String(s.parent_id),
    s.sampler,
    regionText(s.region),
    `${finished} / ${s.n_trials}` + (s.counts.failed ? ` (${s.counts.failed} failed)` : ""),
    fmt(s.best_value),
    s.status,
  ];
  const tr = document.createElement("tr");
  tr.dataset.searchId = String(s.id);
  tr.dataset.depth = String(depth);
  tr.classList.toggle("selected", s.id === selectedId);
  const first = document.createElement("td");
  first.append(searchButton(s, depth, s.id === selectedId, onSelect));
  tr.append(first);
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

// Keeps the focused search's button focused across re-renders (polling redraws the rows).
export function renderTree(table, tree, selectedId, onSelect) {
  const focused = document.activeElement && document.activeElement.closest("#searches tr");
  const focusedId = focused ? focused.dataset.searchId : null;
  const rows = flattenTree(tree).map((r) => row(r, selectedId, onSelect));
  table.querySelector("tbody").replaceChildren(...rows);
  if (focusedId) {
    const again = table.querySelector(`tr[data-search-id="${focusedId}"] button`);
    if (again) again.focus();
  }
}
