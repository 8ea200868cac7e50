// Rows of the region panel: a parameter's editable bounds, the inside/outside statistics, the
// choice for a parameter off the axes, and a warning about a region's edge. Text only, no HTML.
import { fmt } from "./format.js";

function cell(tag, text, attrs = {}) {
  const el = document.createElement(tag);
  el.textContent = text;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

// A long snake_case name may wrap after its underscores (<wbr>, so its text stays the name).
function breakable(el, name) {
  name.split("_").forEach((part, i, parts) => {
    el.append(part + (i < parts.length - 1 ? "_" : ""));
    if (i < parts.length - 1) el.append(document.createElement("wbr"));
  });
  return el;
}

// One input per side of a numeric range, a tick box per category of the parent's (`b.all`);
// `typed` holds what was typed or ticked but refused, so a re-render does not throw it away.
export function boundsRow(name, b, typed = {}) {
  const tr = document.createElement("tr");
  tr.dataset.param = name;
  tr.append(breakable(cell("th", "", { scope: "row" }), name));
  if (b.kind === "choices") {
    const td = cell("td", "", { colspan: "2", class: "choices" });
    const group = cell("div", "", { class: "categories", role: "group", "aria-label": name });
    const inRegion = new Set(b.choices); // by value and type: 1 and "1" are two choices
    b.all.forEach((choice, i) => {
      const label = cell("label", "", { class: "category" });
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "category";
      box.dataset.param = name;
      box.dataset.index = String(i);
      box.checked = typed.ticked ? typed.ticked.has(i) : inRegion.has(choice);
      label.append(box, cell("span", String(choice)));
      group.append(label);
    });
    td.append(group);
    tr.append(td);
    return tr;
  }
  for (const side of ["low", "high"]) {
    const td = cell("td", "", { class: side, "data-value": String(b[side]) });
    const input = document.createElement("input");
    input.type = "number";
    input.step = "any";
    input.className = "bound";
    input.dataset.param = name;
    input.dataset.side = side;
    input.setAttribute("aria-label", `${name} ${side}`);
    input.value = side in typed ? typed[side] : fmt(b[side]);
    td.append(input);
    tr.append(td);
  }
  return tr;
}

// The message under a refused bound; its input points at it for screen readers.
export function problemRow(name, message, id) {
  const tr = document.createElement("tr");
  tr.className = "bound-problem";
  tr.dataset.param = name;
  tr.append(cell("td", `${name}: ${message}`, { colspan: "3", id, role: "alert" }));
  return tr;
}

function failureText(rate) {
  return rate === null ? "–" : `${fmt(Number((100 * rate).toPrecision(3)))} %`;
}

// Rows of the inside/outside table (the server's statistics); each cell carries the exact
// number in data-value.
export function statsRows(inside, outside) {
  const rows = [
    ["count", "Trials", (s) => s.count, (s) => String(s.count)],
    ["best", "Best", (s) => s.best, (s) => fmt(s.best)],
    ["median", "Median", (s) => s.median, (s) => fmt(s.median)],
    ["failed", "Failed", (s) => s.failure_rate, (s) => failureText(s.failure_rate)],
  ];
  return rows.map(([key, label, number, text]) => {
    const tr = document.createElement("tr");
    tr.dataset.stat = key;
    tr.append(cell("th", label, { scope: "row" }));
    for (const [side, s] of [["inside", inside], ["outside", outside]]) {
      const n = number(s);
      const td = cell("td", text(s), { class: side, "data-value": n === null ? "" : String(n) });
      if (key === "best" && s.best_id !== null) td.title = `trial id ${s.best_id}`;
      tr.append(td);
    }
    return tr;
  });
}

// Short enough for the narrow panel's select; the option's title says it in full.
const NARROWING = {
  keep: ["parent's range", "keep the parent search's range"],
  span: ["selected span", "narrow to the span of the selected trials"],
  suggested: ["suggested range", "use the suggested region's range"],
};

// A parameter off the axes: a choice how to narrow it, and what that would send.
// `choices` maps each offered mode to its bounds (null: keep) or a {problem}.
export function otherItem(name, choices, mode) {
  const li = document.createElement("li");
  li.dataset.param = name;
  const label = document.createElement("label");
  label.append(breakable(cell("span", "", { class: "param" }), name));
  const select = document.createElement("select");
  select.className = "narrowing";
  select.dataset.param = name;
  for (const [value, outcome] of Object.entries(choices)) {
    const [text, title] = NARROWING[value];
    const option = cell("option", text, { value, title });
    option.disabled = Boolean(outcome && outcome.problem);
    option.selected = value === mode;
    select.append(option);
  }
  label.append(select);
  li.append(label);
  const outcome = choices[mode];
  const span = choices.span;
  let note = "";
  if (outcome && outcome.bounds) note = boundsText(outcome.bounds, outcome.categorical);
  else if (span && span.problem) note = `cannot narrow: ${span.problem}`;
  li.append(cell("span", note, { class: "outcome" }));
  return li;
}

function boundsText(bounds, categorical) {
  if (categorical) return `{${bounds.map(String).join(", ")}}`;
  return `[${fmt(bounds[0])}, ${fmt(bounds[1])}]`;
}

export function edgeItem(edge) {
  const li = document.createElement("li");
  li.dataset.param = edge.param;
  li.dataset.side = edge.side;
  li.textContent = edge.message;
  return li;
}
