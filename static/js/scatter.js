// Pure: trials and choices in, a plotly figure out. One trace per search, so a child search's
// trials are told apart from its parent's by their marker symbol and outline colour (palette.js),
// kept whatever else is drawn. Large experiments are drawn with WebGL (scattergl), which keeps
// box and lasso select.
import { NUMBER, VALUE, axisLabel, axisLayout, axisValue, paramSpec, plotValue } from "./axes.js";
import { escapeHtml, fmt } from "./format.js";
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

export function searchLabel(search) {
  return search.parent_id === null ? `search ${search.id} (coarse)` : `search ${search.id} ← ${search.parent_id}`;
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
  // Finished trials by search, with their colours. A loop, not Math.min(...values): spreading
  // 100,000 arguments overflows the stack.
  const bySearch = new Map();
  let cmin = Infinity;
  let cmax = -Infinity;
  for (const t of pool) {
    if (t.state !== "complete") continue;
    if (!bySearch.has(t.searchId)) bySearch.set(t.searchId, { own: [], colors: [] });
    const group = bySearch.get(t.searchId);
    const v = colors.of(t);
    group.own.push(t);
    group.colors.push(v);
    if (v === null) continue;
    if (v < cmin) cmin = v;
    if (v > cmax) cmax = v;
  }
  if (cmin > cmax) [cmin, cmax] = [0, 1];
  const scale = colors.scale(cmin, cmax);
  const styles = searchStyles(searches);
  const size = type === "scattergl" ? 6 : 9;
  const shown = searches.filter((s) => !visible || visible.has(s.id));
  const data = shown.map((search, n) => {
    const { own, colors: values } = bySearch.get(search.id) || { own: [], colors: [] };
    const label = searchLabel(search);
    const style = styles.get(search.id);
    return {
      type,
      mode: "markers",
      name: label,
      uid: `search-${search.id}`,
      legendgroup: `search-${search.id}`,
      showlegend: false, // the legend's entry is the search's own (below): points do not recolour it
      x: xy(own, x, space),
      y: xy(own, y, space),
      customdata: own.map((t) => t.id),
      hovertext: hovers(own, label, type),
      hoverinfo: "text",
      marker: {
        symbol: style.symbol,
        size,
        color: values,
        ...scale,
        showscale: n === 0,
        line: { width: type === "scattergl" ? 0.8 : 1.2, color: style.color },
      },
    };
  });
  if (showFailed) {
    for (const [state, style] of Object.entries(UNFINISHED)) {
      const own = pool.filter((t) => t.state === state);
      if (!own.length) continue;
      data.push({
        type,
        mode: "markers",
        name: state,
        uid: state,
        x: xy(own, x, space),
        y: xy(own, y, space),
        customdata: own.map((t) => t.id),
        hovertext: hovers(own, undefined, type),
        hoverinfo: "text",
        marker: style,
      });
    }
  }
  if (selected) {
    for (const trace of data) {
      trace.selectedpoints = selectedIndices(trace.customdata, selected);
      trace.unselected = { marker: { opacity: 0.2, color: "#b8bec6" } };
    }
  }
  // Each search's legend entry: its symbol, open, in its colour; no points, so neither the
  // colour axis nor a selection changes it. Listed first, in the searches' order.
  shown.forEach((search, n) => {
    const style = styles.get(search.id);
    data.push({
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
    });
  });
  const drawn = pool.filter((t) => t.state === "complete" || (showFailed && t.state in UNFINISHED));
  const xaxis = { ...axisLayout(x, space, objective), ...axisTicksFor(x, space, drawn, zoom.x) };
  const yaxis = { ...axisLayout(y, space, objective), ...axisTicksFor(y, space, drawn, zoom.y) };
  xaxis.title.text = escapeHtml(xaxis.title.text);
  yaxis.title.text = escapeHtml(yaxis.title.text);
  if (xaxis.categoryarray) xaxis.categoryarray = xaxis.categoryarray.map(escapeHtml);
  if (yaxis.categoryarray) yaxis.categoryarray = yaxis.categoryarray.map(escapeHtml);
  const layout = {
    xaxis,
    yaxis,
    dragmode: "select",
    hovermode: "closest",
    uirevision: `${x}|${y}`,
    legend: { orientation: "h", y: -0.18, traceorder: "normal" },
    margin: { t: 20, r: 10 },
    selections: box
      ? [{ type: "rect", xref: "x", yref: "y", x0: box.xRange[0], x1: box.xRange[1], y0: box.yRange[0], y1: box.yRange[1] }]
      : [],
  };
  return { data, layout };
}
