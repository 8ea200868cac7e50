// The searches table as a tree: coarse → fine → finer; a click filters the page to a subtree,
// and each search's note is shown (as text) with a button to edit it.
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

// The note as text (its first lines; all of it on hover) and a button to edit it.
function noteCell(search, onNote) {
  const td = document.createElement("td");
  td.className = "note-cell";
  if (search.note) {
    const text = document.createElement("span");
    text.className = "note-text";
    text.textContent = search.note;
    text.title = search.note;
    td.append(text);
  }
  const edit = document.createElement("button");
  edit.type = "button";
  edit.className = "secondary small note-edit";
  edit.textContent = search.note ? "Edit" : "Add note";
  edit.setAttribute("aria-label", `${search.note ? "Edit the note on" : "Add a note to"} search ${search.id}`);
  edit.addEventListener("click", () => onNote(search));
  td.append(edit);
  return td;
}

function row({ search: s, depth }, selectedId, onSelect, onNote) {
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
  tr.append(noteCell(s, onNote));
  return tr;
}

// Keeps the focused button focused across re-renders (polling redraws the rows). `onNote`
// (search) asks to edit a search's note.
export function renderTree(table, tree, selectedId, onSelect, onNote) {
  const active = document.activeElement;
  const focused = active && active.closest("#searches tr");
  const focusedId = focused ? focused.dataset.searchId : null;
  const which = active && active.classList.contains("note-edit") ? "button.note-edit" : "button.tree-node";
  const rows = flattenTree(tree).map((r) => row(r, selectedId, onSelect, onNote));
  table.querySelector("tbody").replaceChildren(...rows);
  if (focusedId) {
    const again = table.querySelector(`tr[data-search-id="${focusedId}"] ${which}`);
    if (again) again.focus();
  }
}
