// A box drawn on the plot, turned into a region of the parent search's space (in real units).
// The box names its axes by axis key ("value" is the objective, "param:value" the parameter);
// a region names parameters by their own names, so every look-up goes through axes.js.
import { axisValue, paramName, paramSpec } from "./axes.js";

// `range` is plotly's selection range for one axis: real units on linear and log axes,
// category positions on a category axis, whose categories are `axisSpace`'s choices (the
// experiment's). The bounds are clipped to the parent search's space. Returns a region
// entry, or null if the axis is not a parameter of the parent.
export function boundsFor(key, range, space, axisSpace = space) {
  const spec = paramSpec(key, space);
  if (!spec || !range) return null;
  const lo = Math.min(range[0], range[1]);
  const hi = Math.max(range[0], range[1]);
  if (spec.type === "categorical") {
    const axisChoices = (paramSpec(key, axisSpace) || spec).choices;
    const onAxis = axisChoices.filter((_, i) => i >= lo && i <= hi).map(String);
    return { kind: "choices", choices: spec.choices.filter((c) => onAxis.includes(String(c))) };
  }
  if (spec.type !== "float" && spec.type !== "int") return null;
  return { kind: "range", low: Math.max(lo, spec.low), high: Math.min(hi, spec.high) };
}

// The region to send to /refine, keyed by parameter name: only the axes that are parameters
// of the parent's space (the objective, metrics, duration and trial number are not).
export function regionFromBox(box, parentSpace, axisSpace = parentSpace) {
  const region = {};
  const problems = [];
  for (const [key, range] of [[box.x, box.xRange], [box.y, box.yRange]]) {
    const b = boundsFor(key, range, parentSpace, axisSpace);
    if (!b) continue;
    const name = paramName(key);
    if (b.kind === "choices") {
      if (b.choices.length === 0) problems.push(`${name}: the box holds no category`);
      else region[name] = b.choices;
    } else if (!(b.low < b.high)) {
      problems.push(`${name}: the box lies outside the parent search's range`);
    } else {
      region[name] = [b.low, b.high];
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
      insideRange(axisValue(t, box.x), box.xRange, paramSpec(box.x, space)) &&
      insideRange(axisValue(t, box.y), box.yRange, paramSpec(box.y, space)),
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

// Whether a trial lies inside a full region (name -> [low, high] or a list of choices). With
// the `space`, a categorical's two numeric choices are not mistaken for a range.
export function insideRegion(trial, region, space = {}) {
  return regionTest(region, space)(trial);
}

// The same test, prepared once for many trials.
export function regionTest(region, space = {}) {
  const tests = Object.entries(region).map(([name, bounds]) => {
    const categorical = Object.hasOwn(space, name) && space[name].type === "categorical";
    if (!categorical && bounds.length === 2 && bounds.every((b) => typeof b === "number")) {
      const [lo, hi] = bounds;
      return (v) => (typeof v === "number" ? v >= lo && v <= hi : bounds.some((c) => String(c) === String(v)));
    }
    const allowed = new Set(bounds.map(String));
    return (v) => allowed.has(String(v));
  });
  const names = Object.keys(region);
  return (trial) =>
    names.every((name, i) => {
      const v = trial.params[name];
      return v === undefined || v === null || tests[i](v); // inactive: the region does not apply
    });
}

function span(values, log) {
  // A loop, not Math.min(...values): 100,000 arguments overflow the stack.
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v) || (log && v <= 0)) continue;
    [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  if (lo > hi) return null;
  if (log) return [lo / 1.05, hi * 1.05];
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.03;
  return [lo - pad, hi + pad];
}

// The box to draw for a suggested region on the current axes (axis keys): the region's bounds
// where the axis is one of its parameters, the whole span of the trials otherwise.
export function boxFromRegion(region, x, y, space, values) {
  const range = (key) => {
    const spec = paramSpec(key, space);
    const name = paramName(key);
    const bounds = name !== null && Object.hasOwn(region, name) ? region[name] : undefined;
    if (spec && spec.type === "categorical") {
      const idx = (bounds || spec.choices).map((c) => spec.choices.findIndex((d) => String(d) === String(c)));
      return [Math.min(...idx) - 0.4, Math.max(...idx) + 0.4];
    }
    if (bounds) return [bounds[0], bounds[1]];
    return span(values(key), Boolean(spec && spec.log));
  };
  const xRange = range(x);
  const yRange = range(y);
  return xRange && yRange ? { x, y, xRange, yRange } : null;
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

function sorted(range) {
  return [Math.min(...range), Math.max(...range)];
}
