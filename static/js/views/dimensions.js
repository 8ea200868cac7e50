// Pure: a parameter or the objective as a numeric dimension of the scatter matrix and the
// parallel coordinates: log10 for log parameters, the choice's index for categories, with
// tick labels in real units.
import { escapeHtml } from "../format.js";

export const MAX_LINES = 20000; // beyond this the matrix and the lines are evenly thinned

function isNumber(v) {
  return typeof v === "number" && Number.isFinite(v);
}

// A tick label: short, in real units ("1e-5", "0.003", "20").
export function tickText(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) {
    const [m, e] = v.toExponential(1).split("e");
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(3)));
}

function niceStep(rough) {
  const p = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= rough);
}

// Evenly spaced ticks on a linear axis from lo to hi, at round values.
export function linearTicks(lo, hi) {
  const step = niceStep((hi - lo) / 5 || 1);
  const tickvals = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) tickvals.push(Number(v.toPrecision(12)));
  return { tickvals, ticktext: tickvals.map(tickText) };
}

// Ticks for a log10 axis from lo to hi (log10 units): decades, 1-2-5 steps on a few decades,
// evenly spaced real values on less than one.
export function logTicks(lo, hi) {
  let tickvals = [];
  const steps = hi - lo < 2 ? [1, 2, 5] : [1];
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d += 1) {
    for (const m of steps) {
      const t = d + Math.log10(m);
      if (t >= lo - 1e-9 && t <= hi + 1e-9) tickvals.push(t);
    }
  }
  if (tickvals.length < 3) {
    const [a, b] = [10 ** lo, 10 ** hi];
    const step = niceStep((b - a) / 4);
    tickvals = [];
    for (let v = Math.ceil(a / step) * step; v <= b * (1 + 1e-9); v += step) tickvals.push(Math.log10(v));
  }
  return { tickvals, ticktext: tickvals.map((t) => tickText(10 ** t)) };
}

// Long category names would run into the next axis: cut them (the hover shows them whole).
export function shorten(text, max = 16) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function span(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

// {label, values, range, tickvals?, ticktext?, log, categorical} for the key's values.
// `get` reads the raw value of a trial; null marks a trial without a usable value.
export function dimension(label, spec, trials, get) {
  const categorical = Boolean(spec && spec.type === "categorical");
  const log = Boolean(spec && spec.log);
  const values = trials.map((t) => {
    const v = get(t);
    if (categorical) {
      const i = spec.choices.findIndex((c) => String(c) === String(v));
      return i < 0 ? null : i;
    }
    if (!isNumber(v) || (log && v <= 0)) return null;
    return log ? Math.log10(v) : v;
  });
  const dim = { label: escapeHtml(label), values, log, categorical };
  if (categorical) {
    dim.range = [0, Math.max(1, spec.choices.length - 1)];
    dim.tickvals = spec.choices.map((_, i) => i);
    dim.ticktext = spec.choices.map((c) => shorten(String(c))); // plain text: escape for SVG axes
  } else {
    dim.range = span(values) || [0, 1];
    if (dim.range[0] === dim.range[1]) dim.range = [dim.range[0] - 0.5, dim.range[1] + 0.5];
    if (log) Object.assign(dim, logTicks(dim.range[0], dim.range[1]));
  }
  return dim;
}

// At most `max` trials, evenly spaced, keeping every trial in `keep` (a Set of ids or null).
export function thin(trials, max = MAX_LINES, keep = null) {
  if (trials.length <= max) return trials;
  const stride = trials.length / max;
  const out = [];
  let next = 0;
  for (let i = 0; i < trials.length; i += 1) {
    if (i >= next) {
      out.push(trials[i]);
      next += stride;
    } else if (keep && keep.has(trials[i].id)) {
      out.push(trials[i]);
    }
  }
  return out;
}

// The trials ordered worst to best, so the best are drawn last, on top of the crowd.
export function bestLast(trials, direction) {
  const sign = direction === "maximize" ? 1 : -1;
  return [...trials].sort((a, b) => sign * (a.value - b.value) || a.id - b.id);
}
