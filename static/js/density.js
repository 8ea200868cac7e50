// Pure: the scatter plot's density mode. Past `DENSITY_POINTS` drawn trials a scatter plot is
// overplotted anyway, and plotly's scattergl takes seconds per hundred thousand markers on a
// machine without a GPU; so the plot draws the trials binned into cells of a few pixels (a
// heatmap, each cell coloured like its best trial's point would be), with the best trials and
// the selected ones as points on top. Everything here reads the store's columns (typed arrays
// and dictionary codes, trialstore.js): binning, the best trials, and what a box or a lasso
// selects, which is the columns' answer, not plotly's (the trials under the image are no points).
import { DURATION, METRIC_PREFIX, NUMBER, VALUE, paramName, paramSpec } from "./axes.js";
import { cellReader } from "./columns.js";
import { fmt } from "./format.js";

export const DENSITY_POINTS = 200000; // from this many drawn trials on, the plot shows density
export const TOP_POINTS = 2000; // the best trials drawn as points over the density
export const SELECTED_POINTS = 5000; // at most this many selected trials drawn as points
export const CELL_PX = 3; // a cell's side on screen, in pixels

// The threshold a page uses: `?density=N` in its address (tests lower it), else DENSITY_POINTS.
export function densityThreshold(query) {
  const n = Number(new URLSearchParams(query).get("density"));
  return Number.isInteger(n) && n > 0 ? n : DENSITY_POINTS;
}

// How many best trials are drawn as points: TOP_POINTS, and no more than a tenth of the threshold
// (a lowered threshold keeps the points a small part of what is drawn).
export function topCount(threshold) {
  return Math.max(1, Math.min(TOP_POINTS, Math.floor(threshold / 10)));
}

// The column an axis key reads (undefined: none, every cell missing).
export function axisColumn(columns, key) {
  if (key === VALUE) return columns.value;
  if (key === NUMBER) return columns.number;
  if (key === DURATION) return columns.duration;
  if (key.startsWith(METRIC_PREFIX)) {
    const name = key.slice(METRIC_PREFIX.length);
    return Object.hasOwn(columns.metrics, name) ? columns.metrics[name] : undefined;
  }
  const name = paramName(key);
  return Object.hasOwn(columns.params, name) ? columns.params[name] : undefined;
}

// An axis as the density reads it: `at(r)`, row r's number on it (NaN: not on the axis; a
// category is its index among the choices, matched with === as plotbox.js matches them), and
// `plane(v)`, where plotly puts the number v (log10 on a log axis, NaN for v <= 0 there).
export function axisReader(columns, key, space) {
  const spec = paramSpec(key, space);
  const column = axisColumn(columns, key);
  const category = Boolean(spec && spec.type === "categorical");
  const log = Boolean(spec && spec.log);
  const plane = log ? (v) => (v > 0 ? Math.log10(v) : NaN) : (v) => v;
  let at = () => NaN;
  if (column !== undefined && column !== null) {
    if (category && column.codes) {
      const index = Int32Array.from(column.values, (v) => spec.choices.indexOf(v));
      const { codes } = column;
      at = (r) => (codes[r] < 0 || index[codes[r]] < 0 ? NaN : index[codes[r]]);
    } else if (category) {
      const cell = cellReader(column);
      at = (r) => {
        const v = cell(r);
        const i = v === null ? -1 : spec.choices.indexOf(v);
        return i < 0 ? NaN : i;
      };
    } else if (column instanceof Float64Array || column instanceof Float32Array || ArrayBuffer.isView(column)) {
      at = (r) => column[r];
    } else {
      const cell = cellReader(column);
      at = (r) => {
        const v = cell(r);
        return typeof v === "number" ? v : NaN;
      };
    }
  }
  return { at, plane, log, category, choices: category ? spec.choices : null };
}

// The bins of an axis over [lo, hi] (plotly's units: log10 on a log axis, positions on a
// category axis): `n` cells, and the cell of a plotted number (-1: outside).
export function bins(lo, hi, n) {
  const width = hi - lo;
  const cell = (p) => {
    if (!(p >= lo && p <= hi)) return -1; // NaN too
    if (!(width > 0)) return 0;
    const i = Math.floor(((p - lo) / width) * n);
    return i >= n ? n - 1 : i;
  };
  return { lo, hi, n, cell };
}

// The cells of a category axis: one per choice.
export const categoryBins = (choices) => bins(-0.5, choices.length - 0.5, choices.length);

// Bin `rowLists` (arrays of rows) on the x and y axes (axisReader) into xBins.n × yBins.n cells,
// cell k = j * nx + i for x cell i and y cell j: how many rows fall in each (count), how many of
// them have no finished value (unfinished: failed and pruned), and the best `value(r)` (NaN
// where none; `minimize` says which is best) with its row (bestRow, -1 where none).
export function binRows(rowLists, { xAxis, yAxis, xBins, yBins, value, minimize }) {
  const nx = xBins.n;
  const ny = yBins.n;
  const count = new Int32Array(nx * ny);
  const unfinished = new Int32Array(nx * ny);
  const best = new Float64Array(nx * ny).fill(NaN);
  const bestRow = new Int32Array(nx * ny).fill(-1);
  const sign = minimize ? 1 : -1;
  for (const rows of rowLists) {
    for (let k = 0; k < rows.length; k += 1) {
      const r = rows[k];
      const i = xBins.cell(xAxis.plane(xAxis.at(r)));
      if (i < 0) continue;
      const j = yBins.cell(yAxis.plane(yAxis.at(r)));
      if (j < 0) continue;
      const c = j * nx + i;
      count[c] += 1;
      const v = value(r);
      if (Number.isNaN(v)) {
        unfinished[c] += 1;
        continue;
      }
      if (bestRow[c] < 0 || sign * v < sign * best[c]) {
        best[c] = v;
        bestRow[c] = r;
      }
    }
  }
  return { nx, ny, count, unfinished, best, bestRow };
}

// The k-th smallest of `a` (reordered in place), k from 0: Hoare's selection.
function kth(a, k) {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i += 1;
      while (a[j] > pivot) j -= 1;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i += 1;
        j -= 1;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

// The rows of the k best values among `rowLists` (`value(r)`, NaN: none), best first; ties at
// the k-th value are taken in row order until there are k.
export function bestRows(rowLists, value, k, { minimize }) {
  const sign = minimize ? 1 : -1;
  let n = 0;
  for (const rows of rowLists) n += rows.length;
  const keys = new Float64Array(n);
  let m = 0;
  for (const rows of rowLists) {
    for (let i = 0; i < rows.length; i += 1) {
      const v = value(rows[i]);
      if (!Number.isNaN(v)) keys[m++] = sign * v;
    }
  }
  if (m === 0 || k <= 0) return [];
  const limit = m <= k ? Infinity : kth(keys.subarray(0, m), k - 1);
  const better = [];
  const tied = [];
  for (const rows of rowLists) {
    for (let i = 0; i < rows.length; i += 1) {
      const v = value(rows[i]);
      if (Number.isNaN(v)) continue;
      const key = sign * v;
      if (key < limit) better.push(rows[i]);
      else if (key === limit) tied.push(rows[i]);
    }
  }
  const out = better.concat(tied.slice(0, Math.max(0, k - better.length)));
  return out.sort((a, b) => sign * value(a) - sign * value(b) || a - b);
}

// Whether row r is one the page shows: of a visible search (`visible`: a Set of search ids, or
// null for all), and not failed or pruned when those are hidden.
function shownRow(columns, { visible, showFailed }) {
  const searchIds = columns.search_id;
  const hidden = new Set(showFailed ? [] : ["failed", "pruned"]);
  let stateHidden = () => false;
  if (hidden.size) {
    const state = columns.state;
    if (state.codes) {
      const out = state.values.map((s) => hidden.has(s));
      const { codes } = state;
      stateHidden = (r) => codes[r] >= 0 && out[codes[r]];
    } else {
      stateHidden = (r) => hidden.has(state[r]);
    }
  }
  return (r) => (!visible || visible.has(searchIds[r])) && !stateHidden(r);
}

const sorted = (range) => [Math.min(range[0], range[1]), Math.max(range[0], range[1])];

// The ids of the trials a box covers (`box`: {x, y, xRange, yRange}, the axes' keys and their
// ranges in real units, categories by position), among the ones the page shows: the columns'
// version of plotbox.js's trialsInside over the page's shown trials.
export function idsInBox(columns, box, space, { visible = null, showFailed = true } = {}) {
  const shown = shownRow(columns, { visible, showFailed });
  const [x, y] = [axisReader(columns, box.x, space), axisReader(columns, box.y, space)];
  const [[x0, x1], [y0, y1]] = [sorted(box.xRange), sorted(box.yRange)];
  const ids = columns.id;
  const out = [];
  for (let r = 0; r < columns.n; r += 1) {
    const xv = x.at(r);
    if (!(xv >= x0 && xv <= x1)) continue;
    const yv = y.at(r);
    if (!(yv >= y0 && yv <= y1)) continue;
    if (shown(r)) out.push(ids[r]);
  }
  return out;
}

// Whether (px, py) lies inside the polygon (xs, ys): even-odd crossings.
export function insidePolygon(px, py, xs, ys) {
  let inside = false;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i, i += 1) {
    if (ys[i] > py !== ys[j] > py && px < ((xs[j] - xs[i]) * (py - ys[i])) / (ys[j] - ys[i]) + xs[i]) inside = !inside;
  }
  return inside;
}

// The ids of the drawn rows (`rowLists`) inside a lasso (`polygon`: {x, y}, plotly's data
// units: real numbers on a log axis, category names or positions on a category axis), compared
// where plotly draws them (log10 on a log axis).
export function idsInPolygon(columns, rowLists, { x, y, space, polygon }) {
  const [xa, ya] = [axisReader(columns, x, space), axisReader(columns, y, space)];
  const vertex = (axis) => (v) => {
    if (axis.category && typeof v !== "number") return axis.choices.map(String).indexOf(String(v));
    return axis.plane(Number(v));
  };
  const xs = polygon.x.map(vertex(xa));
  const ys = polygon.y.map(vertex(ya));
  const ids = columns.id;
  const out = [];
  for (const rows of rowLists) {
    for (let k = 0; k < rows.length; k += 1) {
      const r = rows[k];
      const px = xa.plane(xa.at(r));
      const py = ya.plane(ya.at(r));
      if (Number.isNaN(px) || Number.isNaN(py)) continue;
      if (insidePolygon(px, py, xs, ys)) out.push(ids[r]);
    }
  }
  return out;
}

// A cell's hover text: how many trials it holds (and how many of them failed or were pruned),
// and its best trial's value and number.
export function cellText(count, unfinished, best, number) {
  const lines = [`<b>${count} trial${count === 1 ? "" : "s"}</b>`];
  if (Number.isFinite(best)) lines.push(`best value: ${fmt(best)} (trial ${fmt(number)})`);
  if (unfinished) lines.push(`${unfinished} failed or pruned`);
  return lines.join("<br>");
}
