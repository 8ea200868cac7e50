// Pure: trials and choices in, a plotly figure out. One trace per search, so a child search's
// trials are told apart from its parent's by their marker symbol and outline colour (palette.js),
// kept whatever else is drawn. Large experiments are drawn with WebGL (scattergl), which keeps
// box and lasso select.
import { NUMBER, VALUE, axisLabel, axisLayout, axisValue, paramSpec, plotValue } from "./axes.js";
import { escapeHtml } from "./format.js";
import { hoverOf, searchLabel } from "./labels.js";
import { CATEGORY_COLORS, bandedColorscale, searchStyles } from "./palette.js";
import { selectedIndices } from "./selection.js";
import { axisTicks, linearTicks, logTicks } from "./ticks.js";

export const GL_POINTS = 5000; // from this many trials on, the scatter plot uses WebGL

const isNumber = (v) => typeof v === "number" && Number.isFinite(v);

// The colour axis: `of` gives a trial's colour number (null: none) and `scale(cmin, cmax)` the
// marker's colour settings. A category is its index on a scale of one band per category, the
// names on the bar; a log parameter is coloured by its log10, the bar labelled in real units.
function colorAxis(key, space, objective, direction) {
  const spec = paramSpec(key, space);
  const title = { text: escapeHtml(axisLabel(key, objective)) };
  if (spec && spec.type === "categorical") {
    const choices = spec.choices.map(String);
    const colors = choices.map((_, i) => CATEGORY_COLORS[i % CATEGORY_COLORS.length]);
    const ticks = { tickmode: "array", tickvals: choices.map((_, i) => i), ticktext: choices.map(escapeHtml) };
    return {
      of: (t) => {
        const i = choices.indexOf(String(axisValue(t, key)));
        return i < 0 ? null : i;
      },
      scale: () => ({
        colorscale: bandedColorscale(colors),
        cmin: -0.5,
        cmax: choices.length - 0.5,
        colorbar: { title, ...ticks },
      }),
    };
  }
  const log = Boolean(spec && spec.log);
  const integer = Boolean(spec && spec.type === "int");
  return {
    of: (t) => {
      const v = axisValue(t, key);
      if (!isNumber(v)) return null;
      if (log) return v > 0 ? Math.log10(v) : null;
      return v;
    },
    scale: (cmin, cmax) => {
      let ticks = { exponentformat: "e" };
      if (spec) ticks = { tickmode: "array", ...(log ? logTicks : linearTicks)(cmin, cmax, { integer }) };
      return {
        colorscale: "Viridis",
        // Brighter is better whichever the direction.
        reversescale: key === VALUE && direction === "minimize",
        cmin,
        cmax,
        colorbar: { title, ...ticks },
      };
    },
  };
}

// Round ticks in the page's number format for a parameter's axis (whole numbers for integers
// and trial numbers) over the trials' span, or over `zoomed` (real units) when the user zoomed
// in, so a zoom gets finer ticks; other axes keep plotly's own.
function axisTicksFor(key, space, trials, zoomed) {
  const spec = paramSpec(key, space);
  const numeric = spec && (spec.type === "int" || spec.type === "float");
  if (!numeric && key !== NUMBER) return {};
  const values = zoomed || trials.map((t) => axisValue(t, key));
  return axisTicks(values, { log: Boolean(spec && spec.log), integer: key === NUMBER || spec.type === "int" });
}

// The hover texts of a WebGL trace, each built when plotly first reads it (on hover or in a
// selection event): 100,000 strings built before the first plot cost more than drawing it.
function lazyHover(trials, label) {
  return new Proxy(new Array(trials.length).fill(""), {
    get(target, key, receiver) {
      if (typeof key === "string") {
        const i = Number(key);
        if (Number.isInteger(i) && i >= 0 && i < trials.length) return hoverOf(trials[i], label);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

function hovers(trials, label, type) {
  return type === "scattergl" ? lazyHover(trials, label) : trials.map((t) => hoverOf(t, label));
}

function xy(trials, key, space) {
  const spec = paramSpec(key, space);
  const category = spec && spec.type === "categorical";
  return trials.map((t) => {
    const v = category ? plotValue(key, space, axisValue(t, key)) : axisValue(t, key);
    return typeof v === "string" ? escapeHtml(v) : v;
  });
}

// Failed and pruned trials get traces of their own (hidden when showFailed is false).
const UNFINISHED = {
  failed: { symbol: "x", size: 8, color: "#c0392b" },
  pruned: { symbol: "x-open", size: 8, color: "#8a8f98" },
};

// Finished trials by search (search id -> {own, colors}), with the colour axis's span. A loop,
// not Math.min(...values): spreading 100,000 arguments overflows the stack.
function bySearch(pool, colorOf) {
  const groups = new Map();
  let cmin = Infinity;
  let cmax = -Infinity;
  for (const t of pool) {
    if (t.state !== "complete") continue;
    if (!groups.has(t.searchId)) groups.set(t.searchId, { own: [], colors: [] });
    const group = groups.get(t.searchId);
    const v = colorOf(t);
    group.own.push(t);
    group.colors.push(v);
    if (v === null) continue;
    if (v < cmin) cmin = v;
    if (v > cmax) cmax = v;
  }
  if (cmin > cmax) [cmin, cmax] = [0, 1];
  return { groups, cmin, cmax };
}

// The points of `own` (trials) on the x and y axes, their ids and hover texts.
function points(own, { x, y, space, type, label }) {
  return {
    x: xy(own, x, space),
    y: xy(own, y, space),
    customdata: own.map((t) => t.id),
    hovertext: hovers(own, label, type),
    hoverinfo: "text",
  };
}

// One trace of finished trials per shown search: its marker symbol, its outline colour, and
// the colour axis filling the marker (the first trace carries the colour bar).
function searchTraces(shown, groups, styles, scale, at) {
  return shown.map((search, n) => {
    const { own, colors } = groups.get(search.id) || { own: [], colors: [] };
    const label = searchLabel(search);
    const style = styles.get(search.id);
    return {
      type: at.type,
      mode: "markers",
      name: label,
      uid: `search-${search.id}`,
      legendgroup: `search-${search.id}`,
      showlegend: false, // the legend's entry is the search's own (legendTraces): points do not recolour it
      ...points(own, { ...at, label }),
      marker: {
        symbol: style.symbol,
        size: at.size,
        color: colors,
        ...scale,
        showscale: n === 0,
        line: { width: at.type === "scattergl" ? 0.8 : 1.2, color: style.color },
      },
    };
  });
}

// Failed and pruned trials: a trace of each state that has any (hover texts name no search).
function unfinishedTraces(pool, at) {
  const data = [];
  for (const [state, style] of Object.entries(UNFINISHED)) {
    const own = pool.filter((t) => t.state === state);
    if (!own.length) continue;
    const trace = { type: at.type, mode: "markers", name: state, uid: state };
    data.push({ ...trace, ...points(own, { ...at, label: undefined }), marker: style });
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

// An axis of the plot: its kind and title, ticks over the `drawn` trials (or the zoom), and
// the user's text escaped.
function scatterAxis(key, space, objective, drawn, zoomed) {
  const axis = { ...axisLayout(key, space, objective), ...axisTicksFor(key, space, drawn, zoomed) };
  axis.title.text = escapeHtml(axis.title.text);
  if (axis.categoryarray) axis.categoryarray = axis.categoryarray.map(escapeHtml);
  return axis;
}

// The layout: both axes, box select, and the box the page holds drawn as a selection.
function scatterLayout({ x, y, space, objective, drawn, zoom, box }) {
  return {
    xaxis: scatterAxis(x, space, objective, drawn, zoom.x),
    yaxis: scatterAxis(y, space, objective, drawn, zoom.y),
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

// `visible` is the set of search ids to draw (all when null); a search keeps its marker
// symbol and colour whichever others are hidden, selected or added.
export function buildFigure({
  trials,
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
}) {
  const shownSearch = visible ? trials.filter((t) => visible.has(t.searchId)) : trials;
  const type = shownSearch.length >= GL_POINTS ? "scattergl" : "scatter";
  // Only trials with both coordinates: WebGL's box select would pick a missing y as if it
  // were anywhere (a failed trial has no value).
  const pool = shownSearch.filter((t) => axisValue(t, x) !== null && axisValue(t, y) !== null);
  const colors = colorAxis(color, space, objective, direction);
  const { groups, cmin, cmax } = bySearch(pool, colors.of);
  const styles = searchStyles(searches);
  const shown = searches.filter((s) => !visible || visible.has(s.id));
  const at = { x, y, space, type, size: type === "scattergl" ? 6 : 9 };
  const data = searchTraces(shown, groups, styles, colors.scale(cmin, cmax), at);
  if (showFailed) data.push(...unfinishedTraces(pool, at));
  if (selected) markSelected(data, selected);
  data.push(...legendTraces(shown, styles, at));
  const drawn = pool.filter((t) => t.state === "complete" || (showFailed && t.state in UNFINISHED));
  return { data, layout: scatterLayout({ x, y, space, objective, drawn, zoom, box }) };
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
