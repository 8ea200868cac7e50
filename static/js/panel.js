// Rows of the region panel: a parameter's bounds, and a warning about a region's edge.
import { fmt } from "./format.js";

export function boundsRow(name, b) {
  const tr = document.createElement("tr");
  tr.dataset.param = name;
  const cells = b.kind === "choices" ? [name, b.choices.join(", "), ""] : [name, fmt(b.low), fmt(b.high)];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (b.kind === "range" && i > 0) {
      td.dataset.value = String(i === 1 ? b.low : b.high);
      td.className = i === 1 ? "low" : "high";
    }
    tr.append(td);
  });
  return tr;
}

export function edgeItem(edge) {
  const li = document.createElement("li");
  li.dataset.param = edge.param;
  li.dataset.side = edge.side;
  li.textContent = edge.message;
  return li;
}
