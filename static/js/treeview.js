// The searches table as a tree: coarse → fine → finer; a click filters the page to a subtree,
// and each search's note is shown (as text) with a button to edit it. Did zooming pay off: each
// search's best so far as a sparkline, and each refinement's gain over its parent's best inside
// its region with the trials it took to beat it, from the lineage (GET .../lineage; the rules
// are the server's, app/core/lineage.py).
import { fmt, signed } from "./format.js";
import { regionText, searchLabel } from "./labels.js";
import { searchStyles } from "./palette.js";
import { sparkline } from "./sparkline.js";
import { flattenTree } from "./tree.js";
import { beatText } from "./views/lineage.js";

const SVG = "http://www.w3.org/2000/svg";
const SPARK = { width: 80, height: 20 };

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

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  return node;
}

function cell(className, text = "") {
  const td = document.createElement("td");
  td.className = className;
  td.textContent = text;
  return td;
}

// The best so far against the search's own trials, in its colour; for a refinement, a dashed
// level at its parent's best inside its region.
function sparkCell(entry, color) {
  const td = cell("search-spark");
  const line = entry ? sparkline(entry.best_so_far, { baseline: entry.gain?.baseline ?? null, ...SPARK }) : null;
  if (!line) return td;
  const { width, height } = line;
  const chart = svg("svg", { class: "sparkline", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  const points = entry.best_so_far;
  let text = `Best so far: ${fmt(points[0][1])} to ${fmt(points[points.length - 1][1])} over ${entry.trials} trials`;
  if (line.baselineY !== null) {
    chart.append(svg("line", { x1: 0, x2: width, y1: line.baselineY, y2: line.baselineY, class: "spark-baseline" }));
    text += `; dashed: the parent's best in its region, ${fmt(entry.gain.baseline)}`;
  }
  chart.append(svg("path", { d: line.d, stroke: color || "currentColor", class: "spark-line" }));
  chart.setAttribute("aria-label", text);
  const title = svg("title", {});
  title.textContent = text;
  chart.append(title);
  td.append(chart);
  return td;
}

// A refinement's gain over its parent's best inside its region (+ is better, whatever the
// direction) and the trials it took to beat it; dashes for a root or before the lineage came.
function gainCells(entry) {
  const gain = entry && entry.gain;
  const td = cell("search-gain", signed(gain ? gain.gain : null));
  const beat = cell("search-to-beat", gain ? beatText(gain.baseline, gain.trials_to_beat, entry.trials) : "–");
  if (!gain) return [td, beat];
  if (gain.gain !== null) td.classList.add(gain.gain > 0 ? "better" : gain.gain < 0 ? "worse" : "even");
  td.title =
    gain.baseline === null
      ? `No trial of search ${gain.baseline_search_id} lies inside this region`
      : `Best ${fmt(gain.best)} against ${fmt(gain.baseline)}, the best of search ${gain.baseline_search_id}'s trials inside this region`;
  beat.title = "This search's trials (in ask order) up to the first that beat its parent's best in its region";
  return [td, beat];
}

function row({ search: s, depth }, selectedId, onSelect, onNote, entry, color) {
  const finished = s.counts.complete + s.counts.failed + s.counts.pruned;
  const cells = [
    ["search-parent", s.parent_id === null ? "–" : String(s.parent_id)],
    ["search-sampler", s.sampler],
    ["search-region", regionText(s.region)],
    ["search-progress", `${finished} / ${s.n_trials}` + (s.counts.failed ? ` (${s.counts.failed} failed)` : "")],
    ["search-best", fmt(s.best_value)],
  ];
  const tr = document.createElement("tr");
  tr.dataset.searchId = String(s.id);
  tr.dataset.depth = String(depth);
  tr.classList.toggle("selected", s.id === selectedId);
  const first = document.createElement("td");
  first.append(searchButton(s, depth, s.id === selectedId, onSelect));
  tr.append(first);
  tr.append(...cells.map(([className, text]) => cell(className, text)));
  tr.append(sparkCell(entry, color), ...gainCells(entry), cell("search-status", s.status), noteCell(s, onNote));
  return tr;
}

// Keeps the focused button focused across re-renders (polling redraws the rows). `onNote`
// (search) asks to edit a search's note; `lineage` is search id -> its entry in the lineage
// (empty until it came; a search made since has none yet).
export function renderTree(table, tree, selectedId, onSelect, onNote, lineage = new Map()) {
  const active = document.activeElement;
  const focused = active && active.closest("#searches tr");
  const focusedId = focused ? focused.dataset.searchId : null;
  const which = active && active.classList.contains("note-edit") ? "button.note-edit" : "button.tree-node";
  const flat = flattenTree(tree);
  const styles = searchStyles(flat.map((r) => r.search));
  const rows = flat.map((r) => row(r, selectedId, onSelect, onNote, lineage.get(r.search.id), styles.get(r.search.id)?.color));
  table.querySelector("tbody").replaceChildren(...rows);
  if (focusedId) {
    const again = table.querySelector(`tr[data-search-id="${focusedId}"] ${which}`);
    if (again) again.focus();
  }
}
