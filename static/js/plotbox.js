// Pure: plot geometry only: a box drawn on the scatter plot as axis ranges, and back. Every rule
// of a region (bounds, steps, categories, inside or outside, edges, spans) is the server's: the
// panel asks for a dry-run refine (regionpanel.js) and draws what it answers.
// The box names its axes by axis key ("value" is the objective, "param:value" the parameter);
// a region names parameters by their own names, so every look-up goes through axes.js.
import { VALUE, axisValue, paramName, paramSpec } from "./axes.js";

const sorted = (r) => [Math.min(r[0], r[1]), Math.max(r[0], r[1])];

// The parameters under the box, keyed by name: a numeric axis's range cut to the parent's
// (a box may be drawn past the outermost points), a category axis's positions turned into the
// categories at them (the axis shows `axisSpace`'s choices; the parent may have fewer). Choices
// are compared with ===, so 1, "1" and true stay three categories.
export function boxRegion(box, parentSpace, axisSpace = parentSpace) {
  const region = {};
  for (const [key, range] of [[box.x, box.xRange], [box.y, box.yRange]]) {
    const spec = paramSpec(key, parentSpace);
    if (!spec || !range) continue;
    const [lo, hi] = sorted(range);
    if (spec.type === "categorical") {
      const onAxis = (paramSpec(key, axisSpace) || spec).choices.filter((_, i) => i >= lo && i <= hi);
      region[paramName(key)] = spec.choices.filter((c) => onAxis.includes(c));
    } else if (spec.type === "float" || spec.type === "int") {
      region[paramName(key)] = [Math.max(lo, spec.low), Math.min(hi, spec.high)];
    }
  }
  return region;
}

// The box's extent on the objective's axis, if it is drawn on it (null otherwise).
export function valueRange(box) {
  if (box.y === VALUE) return sorted(box.yRange);
  if (box.x === VALUE) return sorted(box.xRange);
  return null;
}

function insideRange(v, range, spec) {
  if (v === null || v === undefined) return false;
  const [lo, hi] = sorted(range);
  if (spec && spec.type === "categorical") {
    const i = spec.choices.indexOf(v);
    return i >= 0 && i >= lo && i <= hi;
  }
  return v >= lo && v <= hi;
}

// The trials whose plotted point lies inside the box (`space`: the axes' categories).
export function trialsInside(trials, box, space) {
  const [xSpec, ySpec] = [paramSpec(box.x, space), paramSpec(box.y, space)];
  return trials.filter(
    (t) => insideRange(axisValue(t, box.x), box.xRange, xSpec) && insideRange(axisValue(t, box.y), box.yRange, ySpec),
  );
}

// The box that shows a region on the current axes: the region's bounds where the axis is one of
// its parameters, the parent's whole range where the region leaves it open, and `extent(key)`
// (the plotted extent) on an axis that is no parameter: a region never bounds the objective.
// Categories sit at their positions among `axisSpace`'s choices, as on the plot.
export function boxFromRegion(region, x, y, parentSpace, axisSpace, extent) {
  const range = (key) => {
    const spec = paramSpec(key, parentSpace);
    if (!spec) return extent(key);
    const bounds = Object.hasOwn(region, paramName(key)) ? region[paramName(key)] : null;
    if (spec.type === "categorical") {
      const onAxis = (paramSpec(key, axisSpace) || spec).choices;
      const idx = (bounds || spec.choices).map((c) => onAxis.indexOf(c)).filter((i) => i >= 0);
      return [Math.min(...idx) - 0.4, Math.max(...idx) + 0.4];
    }
    return bounds ? [bounds[0], bounds[1]] : [spec.low, spec.high];
  };
  const xRange = range(x);
  const yRange = range(y);
  return xRange && yRange ? { x, y, xRange, yRange } : null;
}

// The extent of plotted values, padded a little so the box's edge does not cut a point.
export function extentOf(values) {
  // A loop, not Math.min(...values): 100,000 arguments overflow the stack.
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  if (lo > hi) return null;
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.03;
  return [lo - pad, hi + pad];
}

// Whether two boxes are the same up to plotly's round trip through pixels: within a
// thousandth of the box's width, in decades on a log parameter's axis.
export function sameBox(a, b, space = {}) {
  if (!a || !b || a.x !== b.x || a.y !== b.y) return false;
  const same = (key, p, q) => {
    const log = Boolean(paramSpec(key, space)?.log);
    const [p0, p1, q0, q1] = [...sorted(p), ...sorted(q)].map((v) => (log ? Math.log10(v) : v));
    const tolerance = 1e-3 * Math.max(Math.abs(p1 - p0), Math.abs(q1 - q0), 1e-12);
    return Math.abs(p0 - q0) <= tolerance && Math.abs(p1 - q1) <= tolerance;
  };
  return same(a.x, a.xRange, b.xRange) && same(a.y, a.yRange, b.yRange);
}

// Choices are matched by value and type: a space may hold both 1 and "1", or true and "true".
export const positions = (chosen, choices) => chosen.map((c) => choices.indexOf(c)).filter((i) => i >= 0);

// The range on a category axis (positions of `axisChoices`) that covers the `chosen` ones; the
// categories between them are on the plot's box, not in the region.
export function categoryRange(chosen, axisChoices) {
  const at = positions(chosen, axisChoices);
  return [Math.min(...at) - 0.4, Math.max(...at) + 0.4];
}
