// A box drawn on the plot, turned into a region of the parent search's space (in real units).
import { axisValue } from "./axes.js";

// `range` is plotly's selection range for one axis: real units on linear and log axes,
// category positions on a category axis. Returns a region entry, or null if not a parameter.
export function boundsFor(key, range, space) {
  const spec = space[key];
  if (!spec || !range) return null;
  const lo = Math.min(range[0], range[1]);
  const hi = Math.max(range[0], range[1]);
  if (spec.type === "categorical") {
    const kept = spec.choices.filter((_, i) => i >= lo && i <= hi);
    return { kind: "choices", choices: kept };
  }
  return { kind: "range", low: Math.max(lo, spec.low), high: Math.min(hi, spec.high) };
}

// The region to send to /refine: only the axes that are parameters of the parent's space.
export function regionFromBox(box, parentSpace) {
  const region = {};
  const problems = [];
  for (const [key, range] of [[box.x, box.xRange], [box.y, box.yRange]]) {
    const b = boundsFor(key, range, parentSpace);
    if (!b) continue;
    if (b.kind === "choices") {
      if (b.choices.length === 0) problems.push(`${key}: the box holds no category`);
      else region[key] = b.choices;
    } else if (!(b.low < b.high)) {
      problems.push(`${key}: the box lies outside the parent search's range`);
    } else {
      region[key] = [b.low, b.high];
    }
  }
  return { region, problems };
}

function insideRange(v, range, spec) {
  if (v === null || v === undefined) return false;
  const lo = Math.min(range[0], range[1]);
  const hi = Math.max(range[0], range[1]);
  if (spec && spec.type === "categorical") {
    const i = spec.choices.findIndex((c) => String(c) === String(v));
    return i >= lo && i <= hi;
  }
  return v >= lo && v <= hi;
}

// The trials whose plotted x and y fall inside the box.
export function trialsInside(trials, box, space) {
  return trials.filter(
    (t) =>
      insideRange(axisValue(t, box.x), box.xRange, space[box.x]) &&
      insideRange(axisValue(t, box.y), box.yRange, space[box.y]),
  );
}

export function bestOf(trials, direction) {
  let best = null;
  for (const t of trials) {
    if (t.state !== "complete" || t.value === null) continue;
    if (best === null || (direction === "maximize" ? t.value > best.value : t.value < best.value)) {
      best = t;
    }
  }
  return best;
}
