// Pure: trials and choices in, a plotly figure out. One trace per search, so a child search's
// trials are told apart from its parent's by their marker symbol.
import { VALUE, axisLabel, axisLayout, axisValue, plotValue } from "./axes.js";
import { escapeHtml, fmt } from "./format.js";

const SYMBOLS = ["circle", "diamond", "square", "triangle-up", "star", "hexagon", "pentagon", "cross"];

function colorOf(trial, key, space) {
  const v = axisValue(trial, key);
  const spec = space[key];
  if (spec && spec.type === "categorical") return spec.choices.findIndex((c) => String(c) === String(v));
  return typeof v === "number" ? v : null;
}

function hoverText(trial, searchLabel) {
  const lines = [`<b>${searchLabel} · trial ${trial.number}</b>`, `value: ${fmt(trial.value)}`];
  for (const [k, v] of Object.entries(trial.params)) lines.push(`${escapeHtml(k)}: ${escapeHtml(fmt(v))}`);
  if (trial.state !== "complete") lines.push(`state: ${trial.state}`);
  return lines.join("<br>");
}

export function searchLabel(search) {
  return search.parent_id === null ? `search ${search.id} (coarse)` : `search ${search.id} ← ${search.parent_id}`;
}

function xy(trials, key, space) {
  return trials.map((t) => {
    const v = plotValue(key, space, axisValue(t, key));
    return typeof v === "string" ? escapeHtml(v) : v;
  });
}

// Failed and pruned trials get traces of their own (hidden when showFailed is false).
const UNFINISHED = {
  failed: { symbol: "x", size: 8, color: "#c0392b" },
  pruned: { symbol: "x-open", size: 8, color: "#8a8f98" },
};

// `visible` is the set of search ids to draw (all when null); a search keeps its marker
// symbol whichever others are hidden.
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
}) {
  const pool = visible ? trials.filter((t) => visible.has(t.searchId)) : trials;
  const complete = pool.filter((t) => t.state === "complete");
  const colors = complete.map((t) => colorOf(t, color, space)).filter((v) => v !== null);
  const cmin = colors.length ? Math.min(...colors) : 0;
  const cmax = colors.length ? Math.max(...colors) : 1;
  const shown = searches.map((search, i) => [search, i]).filter(([s]) => !visible || visible.has(s.id));
  const data = shown.map(([search, i], n) => {
    const own = complete.filter((t) => t.searchId === search.id);
    return {
      type: "scatter",
      mode: "markers",
      name: searchLabel(search),
      x: xy(own, x, space),
      y: xy(own, y, space),
      customdata: own.map((t) => t.id),
      hovertext: own.map((t) => hoverText(t, searchLabel(search))),
      hoverinfo: "text",
      marker: {
        symbol: SYMBOLS[i % SYMBOLS.length],
        size: 9,
        color: own.map((t) => colorOf(t, color, space)),
        colorscale: "Viridis",
        // Brighter is better whichever the direction.
        reversescale: color === VALUE && direction === "minimize",
        cmin,
        cmax,
        showscale: n === 0,
        colorbar: { title: { text: escapeHtml(axisLabel(color, objective)) } },
        line: { width: 1, color: "#333" },
      },
    };
  });
  if (showFailed) {
    for (const [state, style] of Object.entries(UNFINISHED)) {
      const own = pool.filter((t) => t.state === state);
      if (!own.length) continue;
      data.push({
        type: "scatter",
        mode: "markers",
        name: state,
        x: xy(own, x, space),
        y: xy(own, y, space),
        customdata: own.map((t) => t.id),
        hovertext: own.map((t) => hoverText(t, `search ${t.searchId}`)),
        hoverinfo: "text",
        marker: style,
      });
    }
  }
  const xaxis = axisLayout(x, space, objective);
  const yaxis = axisLayout(y, space, objective);
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
    legend: { orientation: "h", y: -0.18 },
    margin: { t: 20, r: 10 },
    selections: box
      ? [{ type: "rect", xref: "x", yref: "y", x0: box.xRange[0], x1: box.xRange[1], y0: box.yRange[0], y1: box.yRange[1] }]
      : [],
  };
  return { data, layout };
}
