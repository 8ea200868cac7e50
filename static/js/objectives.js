// What each objective's value measures ("validation accuracy"), for axis and colour-bar titles.
// Read once from /api/objectives when the module loads (a top-level await, so the page's first
// plot already has it); an objective that does not say, or a server that does not answer,
// gets FALLBACK.
import { getJSON } from "./api.js";

export const FALLBACK = "objective value";
const labels = new Map();

export function setValueLabels(objectives) {
  for (const o of objectives) if (o.value_label) labels.set(o.name, o.value_label);
}

export function valueLabel(objective) {
  return labels.get(objective) ?? FALLBACK;
}

try {
  setValueLabels(await getJSON("/api/objectives"));
} catch {
  // No labels: titles fall back to FALLBACK.
}
