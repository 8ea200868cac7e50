// Pure, shared by the scatter-matrix and parallel-coordinates tabs: the trials they draw, and a
// parameter or the objective as a numeric dimension of them: log10 for log parameters, the
// choice's index for categories, with tick labels in real units in the page's number format
// (whole numbers for integers).
import { escapeHtml } from "../format.js";
import { linearTicks, logTicks } from "../ticks.js";

export const MAX_LINES = 20000; // beyond this the matrix and the lines are evenly thinned

function isNumber(v) {
  return typeof v === "number" && Number.isFinite(v);
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
    const integer = Boolean(spec && spec.type === "int");
    Object.assign(dim, (log ? logTicks : linearTicks)(dim.range[0], dim.range[1], { integer }));
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

// The trials of the scatter matrix and the parallel coordinates: the finished ones with a value,
// evenly thinned past MAX_LINES (those in `keep` always kept), best last. `thinned` is the note
// saying some were left out; `enough`: at least two to draw.
export function finishedSample(trials, direction, keep = null) {
  const all = trials.filter((t) => t.state === "complete" && isNumber(t.value));
  const shown = bestLast(thin(all, undefined, keep), direction);
  const thinned = shown.length < all.length ? ` Showing ${shown.length} of ${all.length} trials, evenly thinned.` : "";
  return { shown, thinned, enough: shown.length >= 2 };
}
