// Pure: the trade-offs tab (experiments declaring two or more metrics): two metrics against
// each other, the non-dominated trials (the server's front, GET …/pareto) joined as a line along
// x, infeasible trials greyed apart; and the span of trials boxed on it, which the region panel
// takes as its draft (as it takes a suggested region): nothing here judges a region.
import { escapeHtml, fmt } from "../format.js";
import { hoverOf, searchLabel } from "../labels.js";
import { selectedIndices } from "../selection.js";

const COLORS = { trials: "#7a9cc6", front: "#d1495b", infeasible: "#b8bec6" };

// A trial's value of a declared metric: the first metric is the trial's value, the others are
// in its metrics. null when it has none (or not a number).
export function metricValue(trial, metrics, name) {
  const v = metrics.length && metrics[0].name === name ? trial.value : trial.metrics ? trial.metrics[name] : undefined;
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

// The two metrics to plot: `wanted` ([x, y] names) where they are declared and distinct, else
// the first two.
export function metricPair(metrics, wanted = []) {
  const names = metrics.map((m) => m.name);
  const [x, y] = wanted;
  if (names.includes(x) && names.includes(y) && x !== y) return [x, y];
  return names.slice(0, 2);
}

// The front's points joined along x (ties by y), so the line reads left to right.
export function frontLine(points) {
  return [...points].sort((a, b) => a.x - b.x || a.y - b.y);
}

// What `trials` use of each parameter of `space`, in real units: a float's or an int's
// [min, max], a categorical's choices seen (in the space's order, matched by value and type).
// A number all of them share has no span (as the server's span): the parameter is left open.
export function spanRegion(trials, space) {
  const region = {};
  for (const [name, spec] of Object.entries(space)) {
    const values = trials.map((t) => t.params[name]).filter((v) => v !== undefined && v !== null);
    if (!values.length) continue;
    if (spec.type === "categorical") {
      region[name] = spec.choices.filter((c) => values.includes(c));
    } else if (spec.type === "float" || spec.type === "int") {
      let [lo, hi] = [Infinity, -Infinity];
      for (const v of values) if (typeof v === "number") [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      if (lo < hi) region[name] = [lo, hi];
    }
  }
  return region;
}

// The figure: `trials` (the page's visible ones; only complete ones with both metrics are
// drawn), `pareto` the server's answer (its trial_ids and infeasible_ids), the metric names on
// `x` and `y`, `selected` ids (or null) and `searches` for the hover text.
export function paretoFigure({ trials, metrics, pareto, x, y, searches = [], selected = null }) {
  const front = new Set(pareto.trial_ids);
  const infeasible = new Set(pareto.infeasible_ids);
  const groups = { trials: [], front: [], infeasible: [] };
  for (const t of trials) {
    if (t.state !== "complete") continue;
    const px = metricValue(t, metrics, x);
    const py = metricValue(t, metrics, y);
    if (px === null || py === null) continue;
    const group = front.has(t.id) ? "front" : infeasible.has(t.id) ? "infeasible" : "trials";
    groups[group].push({ x: px, y: py, trial: t });
  }
  groups.front = frontLine(groups.front);
  const bySearch = new Map(searches.map((s) => [s.id, s]));
  // Search labels hold no markup: they are made of numbers (labels.js).
  const hover = (t) => {
    const s = bySearch.get(t.searchId);
    const extra = metrics.slice(1).map((m) => `<br>${escapeHtml(m.name)}: ${fmt(metricValue(t, metrics, m.name))}`);
    return hoverOf(t, s ? searchLabel(s) : undefined) + extra.join("");
  };
  const names = { trials: "trials", front: "Pareto front", infeasible: "infeasible" };
  const data = ["trials", "infeasible", "front"].map((g) => {
    const points = groups[g];
    const ids = points.map((p) => p.trial.id);
    const trace = {
      type: "scatter",
      mode: g === "front" ? "lines+markers" : "markers",
      name: names[g],
      x: points.map((p) => p.x),
      y: points.map((p) => p.y),
      customdata: ids,
      hovertext: points.map((p) => hover(p.trial)),
      hoverinfo: "text",
      marker: { size: g === "front" ? 9 : 7, color: COLORS[g], line: { width: 0.5, color: "#333" } },
      line: { color: COLORS.front, width: 2 },
      selected: { marker: { opacity: 1 } },
      unselected: { marker: { opacity: 0.25 } },
    };
    if (g === "infeasible") trace.marker.symbol = "x";
    if (selected) trace.selectedpoints = selectedIndices(ids, selected);
    return trace;
  });
  const axis = (name) => ({ title: { text: escapeHtml(name) }, automargin: true, zeroline: false, exponentformat: "e" });
  const layout = {
    dragmode: "select",
    hovermode: "closest",
    margin: { t: 20, r: 10, l: 10, b: 10 },
    uirevision: `${x}|${y}`,
    legend: { orientation: "h", y: 1.08 },
    xaxis: axis(x),
    yaxis: axis(y),
  };
  return { figure: { data, layout }, counts: { front: groups.front.length, infeasible: groups.infeasible.length } };
}

// The tab: its note and figure (none while no complete trial has both metrics).
export function paretoTab(args) {
  const { figure, counts } = paretoFigure(args);
  const drawn = figure.data.reduce((n, t) => n + t.x.length, 0);
  if (!drawn) return { note: "No complete trial reports both metrics yet.", figure: null };
  const apart = counts.infeasible ? `; ${counts.infeasible} infeasible, in grey` : "";
  const note = `${counts.front} trial${counts.front === 1 ? "" : "s"} on the front over all declared metrics${apart}. Box trials to propose the region they span.`;
  return { note, figure };
}
