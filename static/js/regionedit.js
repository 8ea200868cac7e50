// Pure: checking a bound typed into the region panel, and narrowing the parameters that are
// not on the plot's axes to the span of the selected trials.
import { paramName } from "./axes.js";
import { fmt } from "./format.js";

// Check the text typed for one side ("low" or "high") of a numeric parameter's bounds.
// `bounds` is the current [low, high]; `spec` is the parameter in the parent search's space.
// Returns {value} or {problem} (a sentence for the person typing).
export function checkBound(text, side, bounds, spec) {
  const trimmed = String(text).trim();
  const value = trimmed === "" ? NaN : Number(trimmed);
  if (!Number.isFinite(value)) return { problem: "not a number" };
  if (value < spec.low || value > spec.high) {
    return { problem: `outside the parent's range [${fmt(spec.low)}, ${fmt(spec.high)}]` };
  }
  const [low, high] = side === "low" ? [value, bounds[1]] : [bounds[0], value];
  if (!(low < high)) return { problem: "low must be less than high" };
  return { value };
}

// The parameters a region can narrow besides the plotted ones (fixed ones have nothing to narrow).
// `axes` are axis keys: the objective's axis "value" leaves a parameter named "value" off the
// plot, while "param:value" puts it on.
export function otherParams(space, axes) {
  const plotted = new Set(axes.map(paramName).filter((name) => name !== null));
  return Object.keys(space).filter((k) => !plotted.has(k) && space[k].type !== "fixed");
}

// The span of `trials`' values of parameter `key`: the categories seen (in the space's order)
// or [min, max] clipped to the space. Returns {bounds} or {problem} when there is nothing
// to narrow to (no selected trial uses the parameter, or they share one number).
export function spanOf(trials, key, spec) {
  const values = trials
    .map((t) => (Object.hasOwn(t.params, key) ? t.params[key] : null))
    .filter((v) => v !== undefined && v !== null);
  if (!values.length) return { problem: "no selected trial uses it" };
  if (spec.type === "categorical") {
    const seen = new Set(values.map(String));
    return { bounds: spec.choices.filter((c) => seen.has(String(c))), categorical: true };
  }
  const numbers = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  if (!numbers.length) return { problem: "no selected trial uses it" };
  let low = numbers[0];
  let high = numbers[0];
  for (const v of numbers) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  low = Math.max(low, spec.low);
  high = Math.min(high, spec.high);
  if (!(low < high)) return { problem: `the selected trials all have ${fmt(low)}` };
  return { bounds: [low, high] };
}

// The parameters narrowed to the selected span travel in the link as repeated `narrow=name`.
export function withNarrowing(query, modes) {
  const p = new URLSearchParams(query);
  p.delete("narrow");
  for (const [name, mode] of Object.entries(modes)) if (mode === "span") p.append("narrow", name);
  return `?${p.toString()}`;
}

export function readNarrowing(query) {
  return Object.fromEntries(new URLSearchParams(query).getAll("narrow").map((name) => [name, "span"]));
}

// Categories ticked in the bounds table for a categorical axis: the ticked ones, in the
// parent's order, or a problem when none is ticked. `ticked` is a Set of choice indices.
export function checkCategories(ticked, spec) {
  const chosen = spec.choices.filter((_, i) => ticked.has(i));
  return chosen.length ? { value: chosen } : { problem: "tick at least one category" };
}

// Choices are matched by value and type: a space may hold both 1 and "1", or true and "true".
const positions = (chosen, choices) => chosen.map((c) => choices.indexOf(c)).filter((i) => i >= 0);

// The range on a category axis (positions of `axisChoices`) that covers the `chosen` ones; the
// categories between them are on the plot's box, not in the region.
export function categoryRange(chosen, axisChoices) {
  const at = positions(chosen, axisChoices);
  return [Math.min(...at) - 0.4, Math.max(...at) + 0.4];
}

// Ticked categories travel in the link as `pick=name:i,j` (indices into the parent's choices).
export function withPicks(query, picked, space) {
  const p = new URLSearchParams(query);
  p.delete("pick");
  for (const [name, chosen] of Object.entries(picked)) {
    const at = positions(chosen, space[name]?.choices || []);
    if (at.length) p.append("pick", `${name}:${at.join(",")}`);
  }
  return `?${p.toString()}`;
}

export function readPicks(query, space) {
  const picked = {};
  for (const text of new URLSearchParams(query).getAll("pick")) {
    const cut = text.lastIndexOf(":");
    if (cut < 0) continue;
    const spec = Object.hasOwn(space, text.slice(0, cut)) ? space[text.slice(0, cut)] : null;
    if (!spec || spec.type !== "categorical") continue;
    const at = text.slice(cut + 1).split(",").filter((i) => /^\d+$/.test(i)).map(Number);
    const chosen = spec.choices.filter((_, i) => at.includes(i));
    if (chosen.length) picked[text.slice(0, cut)] = chosen;
  }
  return picked;
}
