// Pure: the text that names things on the page: a search, a region, what an objective's value
// measures, and a trial (its hover text, a small subset of HTML for plotly).
import { escapeHtml, fmt } from "./format.js";

export function searchLabel(search) {
  return search.parent_id === null ? `search ${search.id} (coarse)` : `search ${search.id} ← ${search.parent_id}`;
}

export function regionText(region) {
  if (!region) return "whole space";
  return Object.entries(region)
    .map(([k, v]) => (v.length === 2 && typeof v[0] === "number" ? `${k} ∈ [${fmt(v[0])}, ${fmt(v[1])}]` : `${k} ∈ {${v.join(", ")}}`))
    .join("; ");
}

// What each objective's value measures ("validation accuracy"), for axis and colour-bar titles:
// the experiment page reads them from /api/objectives before its first plot (setValueLabels);
// an objective that does not say, or a server that does not answer, gets FALLBACK.
export const FALLBACK = "objective value";
const valueLabels = new Map();

export function setValueLabels(objectives) {
  for (const o of objectives) if (o.value_label) valueLabels.set(o.name, o.value_label);
}

export function valueLabel(objective) {
  return valueLabels.get(objective) ?? FALLBACK;
}

// A trial's hover text is built once: trial objects are replaced when they change, so the
// cache never serves stale text and polling does not rebuild 100,000 strings.
const hoverCache = new WeakMap();

export function hoverOf(trial, label = `search ${trial.searchId}`) {
  const cached = hoverCache.get(trial);
  if (cached && cached.label === label) return cached.text;
  const text = hoverText(trial, label);
  hoverCache.set(trial, { label, text });
  return text;
}

// Only text can hold markup: a formatted number is digits, signs, "." and "e".
const safe = (v) => (typeof v === "number" ? fmt(v) : escapeHtml(fmt(v)));
const escapedNames = new Map();
const safeName = (k) => {
  if (!escapedNames.has(k)) escapedNames.set(k, escapeHtml(k));
  return escapedNames.get(k);
};

function hoverText(trial, searchLabel) {
  const lines = [`<b>${searchLabel} · trial ${trial.number}</b>`, `value: ${fmt(trial.value)}`];
  for (const [k, v] of Object.entries(trial.params)) lines.push(`${safeName(k)}: ${safe(v)}`);
  if (trial.state !== "complete") lines.push(`state: ${trial.state}`);
  return lines.join("<br>");
}
