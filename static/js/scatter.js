// Pure: trials and choices in, a plotly figure out. One trace per search, so a child search's
// trials are told apart from its parent's by their marker symbol and outline colour (palette.js),
// kept whatever else is drawn. Large experiments are drawn with WebGL (scattergl), which keeps
// box and lasso select.
// The trials come as columns (the store's, trialstore.js: typed arrays and dictionary codes) or
// as trial objects; the figure is built from columns, row by row, and makes no trial object:
// WebGL traces get typed arrays (x, y, the trial ids) and each point's colour as one of 256
// levels of the colour scale (a colour number costs plotly the scale and two strings per point:
// seconds at a million), the colour bar on a trace of its own; hover texts are built when
// plotly reads them.
import { NUMBER, VALUE, axisLabel, axisLayout, paramSpec } from "./axes.js";
import { cellReader } from "./columns.js";
import { escapeHtml } from "./format.js";
import { hoverOf, searchLabel } from "./labels.js";
import { SELECTED_POINTS, axisColumn, axisReader, bestRows, binRows, bins, categoryBins, cellText } from "./density.js";
import { CATEGORY_COLORS, NO_COLOR, VIRIDIS, bandedColorscale, scaleLevels, searchStyles } from "./palette.js";
import { selectedIndices } from "./selection.js";
import { axisTicks, linearTicks, logTicks } from "./ticks.js";

export const GL_POINTS = 5000; // from this many trials on, the scatter plot uses WebGL

const isNumber = (v) => typeof v === "number" && Number.isFinite(v);

// Trial objects as columns (plain arrays), for callers that hold objects (tests, other pages).
export function columnsOfTrials(trials) {
  const named = (group) => {
    const names = new Set();
    for (const t of trials) for (const k of Object.keys(t[group] || {})) names.add(k);
    const of = (t, k) => (t[group] && Object.hasOwn(t[group], k) ? t[group][k] : null);
    return Object.fromEntries([...names].map((k) => [k, trials.map((t) => of(t, k))]));
  };
  return {
    n: trials.length,
    id: trials.map((t) => t.id),
    search_id: trials.map((t) => t.searchId),
    number: trials.map((t) => t.number),
    state: trials.map((t) => t.state),
    value: trials.map((t) => t.value ?? null),
    duration: trials.map((t) => t.duration ?? null),
    params: named("params"),
    metrics: named("metrics"),
    trial: (r) => trials[r],
  };
}

// The column an axis key reads (undefined: none, every cell missing): density.js keeps it.
export { axisColumn };

// Cell r of a column, null when missing (or no column at all).
function reader(column) {
  return column === undefined || column === null ? () => null : cellReader(column);
}

// Whether cell r holds a value, without reading it as one.
function presence(column) {
  if (column === undefined || column === null) return () => false;
  if (column.codes) {
    const { codes } = column;
    return (r) => codes[r] >= 0;
  }
  if (column instanceof Float64Array || column instanceof Float32Array) return (r) => !Number.isNaN(column[r]);
  if (ArrayBuffer.isView(column)) return () => true;
  return (r) => column[r] !== null && column[r] !== undefined;
}

// The colour axis: `of(column)` gives a row's colour number (null: none) and `scale(cmin, cmax)`
// the marker's colour settings. A category is its index on a scale of one band per category,
// the names on the bar; a log parameter is coloured by its log10, the bar labelled in real units.
function colorAxis(key, space, objective, direction) {
  const spec = paramSpec(key, space);
  const title = { text: escapeHtml(axisLabel(key, objective)) };
  if (spec && spec.type === "categorical") {
    const choices = spec.choices.map(String);
    const colors = choices.map((_, i) => CATEGORY_COLORS[i % CATEGORY_COLORS.length]);
    const ticks = { tickmode: "array", tickvals: choices.map((_, i) => i), ticktext: choices.map(escapeHtml) };
    return {
      of: (column) => {
        const cell = reader(column);
        const memo = new Map();
        return (r) => {
          const v = cell(r);
          if (!memo.has(v)) {
            const i = choices.indexOf(String(v));
            memo.set(v, i < 0 ? null : i);
          }
          return memo.get(v);
        };
      },
      scale: () => ({
        colorscale: bandedColorscale(colors),
        cmin: -0.5,
        cmax: choices.length - 0.5,
        colorbar: { title, ...ticks },
      }),
      levels: () => ({ levels: colors, at: (v) => v }),
    };
  }
  const log = Boolean(spec && spec.log);
  const integer = Boolean(spec && spec.type === "int");
  const reverse = key === VALUE && direction === "minimize"; // brighter is better whichever the direction
  return {
    of: (column) => {
      const cell = reader(column);
      return (r) => {
        const v = cell(r);
        if (!isNumber(v)) return null;
        if (log) return v > 0 ? Math.log10(v) : null;
        return v;
      };
    },
    scale: (cmin, cmax) => {
      let ticks = { exponentformat: "e" };
      if (spec) ticks = { tickmode: "array", ...(log ? logTicks : linearTicks)(cmin, cmax, { integer }) };
      return { colorscale: "Viridis", reversescale: reverse, cmin, cmax, colorbar: { title, ...ticks } };
    },
    // 256 levels of the scale over cmin..cmax (plotly clamps outside it).
    levels: (cmin, cmax) => {
      const width = cmax - cmin;
      const at = (v) => (width > 0 ? Math.round(Math.min(1, Math.max(0, (v - cmin) / width)) * 255) : 0);
      return { levels: scaleLevels(VIRIDIS, { reverse }), at };
    },
  };
}

// Round ticks in the page's number format for a parameter's axis (whole numbers for integers
// and trial numbers) over `span` (the drawn trials' [min, max], and their least positive value
// for a log axis), or over `zoomed` (real units) when the user zoomed in, so a zoom gets finer
// ticks; other axes keep plotly's own.
function axisTicksFor(key, space, span, zoomed) {
  const spec = paramSpec(key, space);
  const numeric = spec && (spec.type === "int" || spec.type === "float");
  if (!numeric && key !== NUMBER) return {};
  const log = Boolean(spec && spec.log);
  let values = zoomed;
  if (!values) values = log ? (span.minPositive <= span.max ? [span.minPositive, span.max] : []) : span.min <= span.max ? [span.min, span.max] : [];
  return axisTicks(values, { log, integer: key === NUMBER || spec.type === "int" });
}

// The span of the numbers among `rows` of a column: {min, max, minPositive}.
function spanOf(column, rowLists) {
  const cell = reader(column);
  const out = { min: Infinity, max: -Infinity, minPositive: Infinity };
  for (const rows of rowLists) {
    for (const r of rows) {
      const v = cell(r);
      if (!isNumber(v)) continue;
      if (v < out.min) out.min = v;
      if (v > out.max) out.max = v;
      if (v > 0 && v < out.minPositive) out.minPositive = v;
    }
  }
  return out;
}

// The hover texts of a WebGL trace, each built when plotly first reads it (on hover or in a
// selection event): 100,000 strings built before the first plot cost more than drawing it.
function lazyHover(rows, trialAt, label) {
  return new Proxy(new Array(rows.length).fill(""), {
    get(target, key, receiver) {
      if (typeof key === "string") {
        const i = Number(key);
        if (Number.isInteger(i) && i >= 0 && i < rows.length) return hoverOf(trialAt(rows[i]), label);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

// An axis's coordinates of `rows`: a Float64Array for WebGL when the column holds numbers and
// the axis is no category axis, else an array (categories as text, text escaped).
function coordinates(rows, column, key, space, gl) {
  const spec = paramSpec(key, space);
  const category = spec && spec.type === "categorical";
  if (gl && !category && ArrayBuffer.isView(column)) {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i += 1) out[i] = column[rows[i]];
    return out;
  }
  const cell = reader(column);
  return Array.from(rows, (r) => {
    const v = cell(r);
    const shown = category && v !== null ? String(v) : v;
    return typeof shown === "string" ? escapeHtml(shown) : shown;
  });
}

// Failed and pruned trials get traces of their own (hidden when showFailed is false).
const UNFINISHED = {
  failed: { symbol: "x", size: 8, color: "#c0392b" },
  pruned: { symbol: "x-open", size: 8, color: "#8a8f98" },
};
const COMPLETE = 0;
const FAILED = 1;
const PRUNED = 2;

// Row r's state as COMPLETE, FAILED, PRUNED or -1 (any other).
function stateOf(column) {
  const kind = (s) => ({ complete: COMPLETE, failed: FAILED, pruned: PRUNED })[s] ?? -1;
  if (column.codes) {
    const kinds = column.values.map(kind);
    const { codes } = column;
    return (r) => (codes[r] < 0 ? -1 : kinds[codes[r]]);
  }
  return (r) => kind(column[r]);
}

// The rows the plot draws: finished trials by search (search id -> rows), the failed and the
// pruned, of the visible searches, with both coordinates (WebGL's box select would pick a
// missing y as if it were anywhere: a failed trial has no value), and how many trials the
// visible searches hold.
function plottedRows(columns, { x, y, visible }) {
  const { n } = columns;
  const searchIds = columns.search_id;
  const state = stateOf(columns.state);
  const [hasX, hasY] = [presence(axisColumn(columns, x)), presence(axisColumn(columns, y))];
  const groups = new Map();
  const unfinished = { [FAILED]: [], [PRUNED]: [] };
  let shown = 0;
  let lastSearch;
  let lastShown = false;
  let lastGroup = null;
  for (let r = 0; r < n; r += 1) {
    const search = searchIds[r];
    if (search !== lastSearch) {
      lastSearch = search;
      lastShown = !visible || visible.has(search);
      if (!groups.has(search)) groups.set(search, []);
      lastGroup = groups.get(search);
    }
    if (!lastShown) continue;
    shown += 1;
    if (!hasX(r) || !hasY(r)) continue;
    const kind = state(r);
    if (kind === COMPLETE) lastGroup.push(r);
    else if (kind !== -1) unfinished[kind].push(r);
  }
  return { groups, failed: unfinished[FAILED], pruned: unfinished[PRUNED], shown };
}

// Each finished row's colour number by search (search id -> Float64Array, NaN for none), and
// the colour axis's span. A loop, not Math.min(...values): 100,000 arguments overflow the stack.
function colorNumbers(groups, colorOf) {
  const numbers = new Map();
  let cmin = Infinity;
  let cmax = -Infinity;
  for (const [search, rows] of groups) {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i += 1) {
      const v = colorOf(rows[i]);
      out[i] = v === null ? NaN : v;
      if (v === null) continue;
      if (v < cmin) cmin = v;
      if (v > cmax) cmax = v;
    }
    numbers.set(search, out);
  }
  if (cmin > cmax) [cmin, cmax] = [0, 1];
  return { numbers, cmin, cmax };
}

// The points of `rows` on the x and y axes, their trial ids and hover texts.
function points(rows, columns, { x, y, space, type, label }) {
  const gl = type === "scattergl";
  const ids = columns.id;
  const customdata = gl ? Float64Array.from(rows, (r) => ids[r]) : Array.from(rows, (r) => ids[r]);
  const trialAt = columns.trial;
  return {
    x: coordinates(rows, axisColumn(columns, x), x, space, gl),
    y: coordinates(rows, axisColumn(columns, y), y, space, gl),
    customdata,
    hovertext: gl ? lazyHover(rows, trialAt, label) : Array.from(rows, (r) => hoverOf(trialAt(r), label)),
    hoverinfo: "text",
  };
}

// A trace's marker colours: on WebGL each point's level of the scale ("#rrggbb"); otherwise
// the colour numbers, which plotly maps through the scale itself.
function markerColors(numbers, levels, gl) {
  if (!gl) return Array.from(numbers, (v) => (Number.isNaN(v) ? null : v));
  const out = new Array(numbers.length);
  for (let i = 0; i < numbers.length; i += 1) {
    const v = numbers[i];
    out[i] = Number.isNaN(v) ? NO_COLOR : levels.levels[levels.at(v)] || NO_COLOR;
  }
  return out;
}

// One trace of finished trials per shown search: its marker symbol, its outline colour, and
// the colour axis filling the marker (without WebGL the first trace carries the colour bar).
function searchTraces(shown, rowsBy, colors, columns, styles, at) {
  const gl = at.type === "scattergl";
  const scale = colors.scale(colors.cmin, colors.cmax);
  const levels = gl ? colors.axis.levels(colors.cmin, colors.cmax) : null;
  return shown.map((search, n) => {
    const rows = rowsBy.get(search.id) || [];
    const numbers = colors.numbers.get(search.id) || new Float64Array(0);
    const label = searchLabel(search);
    const style = styles.get(search.id);
    const line = { width: gl ? 0.8 : 1.2, color: style.color };
    const marker = gl
      ? { symbol: style.symbol, size: at.size, color: markerColors(numbers, levels, true), line }
      : { symbol: style.symbol, size: at.size, color: markerColors(numbers, null, false), ...scale, showscale: n === 0, line };
    return {
      type: at.type,
      mode: "markers",
      name: label,
      uid: `search-${search.id}`,
      legendgroup: `search-${search.id}`,
      showlegend: false, // the legend's entry is the search's own (legendTraces): points do not recolour it
      ...points(rows, columns, { ...at, label }),
      marker,
    };
  });
}

// The colour bar of a WebGL plot: a trace with no point drawn that carries the scale.
function colorBarTrace(colors, type) {
  return {
    type,
    mode: "markers",
    name: "colour scale",
    uid: "colorbar",
    showlegend: false,
    x: [null],
    y: [null],
    customdata: [],
    hoverinfo: "skip",
    marker: { color: [colors.cmin, colors.cmax], ...colors.scale(colors.cmin, colors.cmax), showscale: true },
  };
}

// Failed and pruned trials: a trace of each state that has any (hover texts name no search).
function unfinishedTraces(rowsOf, columns, at) {
  const data = [];
  for (const [state, style] of Object.entries(UNFINISHED)) {
    const rows = rowsOf[state];
    if (!rows.length) continue;
    const trace = { type: at.type, mode: "markers", name: state, uid: state };
    data.push({ ...trace, ...points(rows, columns, { ...at, label: undefined }), marker: style });
  }
  return data;
}

// Trials other views selected stand out; the rest fade.
function markSelected(data, selected) {
  for (const trace of data) {
    trace.selectedpoints = selectedIndices(trace.customdata, selected);
    trace.unselected = { marker: { opacity: 0.2, color: "#b8bec6" } };
  }
}

// Each search's legend entry: its symbol, open, in its colour; no points, so neither the
// colour axis nor a selection changes it. Listed first, in the searches' order.
function legendTraces(shown, styles, { type, size }) {
  return shown.map((search, n) => {
    const style = styles.get(search.id);
    return {
      type,
      mode: "markers",
      name: searchLabel(search),
      uid: `legend-${search.id}`,
      legendgroup: `search-${search.id}`,
      legendrank: n + 1,
      x: [null], // a point that is not drawn: plotly lists a trace without points in no legend
      y: [null],
      customdata: [],
      hoverinfo: "skip",
      marker: { symbol: `${style.symbol}-open`, size, color: style.color, line: { width: 2, color: style.color } },
    };
  });
}

// An axis of the plot: its kind and title, ticks over the drawn span (or the zoom), and the
// user's text escaped.
function scatterAxis(key, space, objective, span, zoomed) {
  const axis = { ...axisLayout(key, space, objective), ...axisTicksFor(key, space, span, zoomed) };
  axis.title.text = escapeHtml(axis.title.text);
  if (axis.categoryarray) axis.categoryarray = axis.categoryarray.map(escapeHtml);
  return axis;
}

// The layout: both axes, box select, and the box the page holds drawn as a selection.
function scatterLayout({ x, y, space, objective, spans, zoom, box }) {
  return {
    xaxis: scatterAxis(x, space, objective, spans.x, zoom.x),
    yaxis: scatterAxis(y, space, objective, spans.y, zoom.y),
    dragmode: "select",
    hovermode: "closest",
    uirevision: `${x}|${y}`,
    legend: { orientation: "h", y: -0.18, traceorder: "normal" },
    margin: { t: 20, r: 10 },
    selections: box
      ? [{ type: "rect", xref: "x", yref: "y", x0: box.xRange[0], x1: box.xRange[1], y0: box.yRange[0], y1: box.yRange[1] }]
      : [],
  };
}

// `columns` are the trials as the store holds them (TrialStore.columns()), or `trials` the
// trial objects; `visible` is the set of search ids to draw (all when null); a search keeps its
// marker symbol and colour whichever others are hidden, selected or added.
export function buildFigure({
  trials = null,
  columns = null,
  space,
  searches,
  x,
  y,
  color,
  direction,
  objective,
  box,
  visible = null,
  showFailed = true,
  selected = null, // a Set of trial ids that other views selected, or null
  zoom = {}, // {x, y}: the range (real units) the user zoomed an axis to; ticks follow it
  density = null, // {threshold, top, cells: {nx, ny}}: from `threshold` drawn trials on, density mode
}) {
  const table = columns || columnsOfTrials(trials);
  const rows = plottedRows(table, { x, y, visible });
  const drawnCount = [...rows.groups.values()].reduce((sum, r) => sum + r.length, 0) + (showFailed ? rows.failed.length + rows.pruned.length : 0);
  if (density && drawnCount >= density.threshold) {
    const args = { space, searches, x, y, color, direction, objective, box, visible, showFailed, selected, zoom };
    return densityFigure(table, rows, drawnCount, density, args);
  }
  const type = rows.shown >= GL_POINTS ? "scattergl" : "scatter";
  const axis = colorAxis(color, space, objective, direction);
  const colors = { axis, scale: axis.scale, ...colorNumbers(rows.groups, axis.of(axisColumn(table, color))) };
  const styles = searchStyles(searches);
  const shown = searches.filter((s) => !visible || visible.has(s.id));
  const at = { x, y, space, type, size: type === "scattergl" ? 6 : 9 };
  const data = searchTraces(shown, rows.groups, colors, table, styles, at);
  if (showFailed) data.push(...unfinishedTraces({ failed: rows.failed, pruned: rows.pruned }, table, at));
  if (selected) markSelected(data, selected);
  data.push(...legendTraces(shown, styles, at));
  if (type === "scattergl") data.push(colorBarTrace(colors, type));
  const drawn = [...rows.groups.values()];
  if (showFailed) drawn.push(rows.failed, rows.pruned);
  const spans = { x: spanOf(axisColumn(table, x), drawn), y: spanOf(axisColumn(table, y), drawn) };
  return { data, layout: scatterLayout({ x, y, space, objective, spans, zoom, box }) };
}

// Density mode: the drawn trials binned into cells over the plotted (or zoomed) span, as a
// heatmap under the points; each cell takes the colour its best trial's point would have (by the
// objective, on the points' colour scale and bar) and says in its hover how many trials it
// holds and its best value. Failed and pruned trials (when shown) count in their cells but
// colour none. The best `density.top` finished trials and the selected ones (at most
// SELECTED_POINTS) stay points, with their searches' symbols, hover and clicks.
function densityFigure(table, rows, drawnCount, density, args) {
  const { space, searches, x, y, color, direction, objective, box, visible, showFailed, selected, zoom } = args;
  const minimize = direction !== "maximize";
  const finishedLists = [...rows.groups.values()];
  const drawn = showFailed ? [...finishedLists, rows.failed, rows.pruned] : finishedLists;
  const valueCell = reader(table.value);
  const valueOf = (r) => {
    const v = valueCell(r);
    return isNumber(v) ? v : NaN;
  };
  const finishedRow = stateOf(table.state);
  const finishedValue = (r) => (finishedRow(r) === COMPLETE ? valueOf(r) : NaN);
  // The colour axis over every drawn trial, as the points would have it.
  const axis = colorAxis(color, space, objective, direction);
  const colorOf = axis.of(axisColumn(table, color));
  const all = colorNumbers(rows.groups, colorOf);
  // The cells: a category axis has one per choice; a numeric one covers the zoom, else the span.
  const spans = { x: spanOf(axisColumn(table, x), drawn), y: spanOf(axisColumn(table, y), drawn) };
  const [xAxis, yAxis] = [axisReader(table, x, space), axisReader(table, y, space)];
  const binsOf = (a, key, n) => {
    if (a.category) return categoryBins(a.choices);
    const span = spans[key];
    let [lo, hi] = zoom[key] || (a.log ? [span.minPositive, span.max] : [span.min, span.max]);
    if (!(lo <= hi)) [lo, hi] = [Math.min(lo, hi), Math.max(lo, hi)];
    let [p, q] = [a.plane(lo), a.plane(hi)];
    if (!Number.isFinite(p) || !Number.isFinite(q)) [p, q] = [0, 1];
    return bins(p, q, Math.max(1, Math.round(n)));
  };
  const xBins = binsOf(xAxis, "x", density.cells.nx);
  const yBins = binsOf(yAxis, "y", density.cells.ny);
  const grid = binRows(drawn, { xAxis, yAxis, xBins, yBins, value: finishedValue, minimize });
  const numberCell = reader(table.number);
  const z = [];
  const text = [];
  for (let j = 0; j < grid.ny; j += 1) {
    const zRow = new Array(grid.nx).fill(null);
    const textRow = new Array(grid.nx).fill("");
    for (let i = 0; i < grid.nx; i += 1) {
      const c = j * grid.nx + i;
      if (!grid.count[c]) continue;
      const r = grid.bestRow[c];
      if (r >= 0) zRow[i] = colorOf(r);
      textRow[i] = cellText(grid.count[c], grid.unfinished[c], grid.best[c], r >= 0 ? numberCell(r) : null);
    }
    z.push(zRow);
    text.push(textRow);
  }
  // Numeric axes get the cells' edges (real units: plotly places them on a log axis itself),
  // category axes the categories' names.
  const edges = (a, b) => {
    if (a.category) return a.choices.map((c) => escapeHtml(String(c)));
    return Array.from({ length: b.n + 1 }, (_, i) => {
      const p = b.lo + ((b.hi - b.lo) * i) / b.n;
      return a.log ? 10 ** p : p;
    });
  };
  const scale = axis.scale(all.cmin, all.cmax);
  const heatmap = {
    type: "heatmap",
    uid: "density",
    name: "density",
    x: edges(xAxis, xBins),
    y: edges(yAxis, yBins),
    z,
    text,
    hovertemplate: "%{text}<extra></extra>",
    hoverongaps: false,
    zsmooth: false,
    colorscale: scale.colorscale,
    reversescale: Boolean(scale.reversescale),
    zmin: scale.cmin,
    zmax: scale.cmax,
    zauto: false,
    colorbar: scale.colorbar,
    showscale: true,
    showlegend: false,
    meta: { trials: drawnCount },
  };
  // The points: the best finished trials, then the selected ones, by search.
  const top = bestRows(finishedLists, finishedValue, density.top, { minimize });
  const pointRows = new Set(top);
  if (selected) {
    const ids = table.id;
    let room = SELECTED_POINTS;
    for (const list of drawn) {
      for (let k = 0; k < list.length && room > 0; k += 1) {
        const r = list[k];
        if (selected.has(ids[r]) && !pointRows.has(r)) {
          pointRows.add(r);
          room -= 1;
        }
      }
    }
  }
  const keep = (list) => list.filter((r) => pointRows.has(r));
  const groups = new Map([...rows.groups].map(([search, list]) => [search, keep(list)]));
  const colors = { axis, scale: axis.scale, ...colorNumbers(groups, colorOf), cmin: all.cmin, cmax: all.cmax };
  const styles = searchStyles(searches);
  const shown = searches.filter((s) => !visible || visible.has(s.id));
  const at = { x, y, space, type: "scattergl", size: 6 };
  const data = searchTraces(shown, groups, colors, table, styles, at);
  if (showFailed) data.push(...unfinishedTraces({ failed: keep(rows.failed), pruned: keep(rows.pruned) }, table, at));
  if (selected) markSelected(data, selected);
  data.push(...legendTraces(shown, styles, at));
  const layout = scatterLayout({ x, y, space, objective, spans, zoom, box });
  return { data: [heatmap, ...data], layout, density: { drawn, count: drawnCount, points: pointRows.size } };
}

// Where the user zoomed (or reset) the axes after plotly's relayout `event`, in real units:
// `ranges` gives each plotly axis's {range, type} after it; `zoom` is what was kept before.
export function zoomAfter(event, zoom, ranges) {
  const next = { ...zoom };
  let changed = false;
  for (const [axis, name] of [["x", "xaxis"], ["y", "yaxis"]]) {
    if (event[`${name}.autorange`]) {
      changed = changed || next[axis] !== undefined;
      delete next[axis];
    } else if (`${name}.range[0]` in event || `${name}.range` in event) {
      const { range, type } = ranges[name];
      next[axis] = range.map((v) => (type === "log" ? 10 ** v : v));
      changed = true;
    }
  }
  return { zoom: next, changed };
}
