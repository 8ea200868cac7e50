// Pure: the parallel-coordinates tab: lines over the parameters and the objective, with
// brushing. Log parameters run in log10 with real-unit tick labels; categories are labelled
// ticks.
import { VALUE, axisValue, paramKey } from "../axes.js";
import { escapeHtml } from "../format.js";
import { valueLabel } from "../labels.js";
import { linearTicks } from "../ticks.js";
import { dimension, finishedSample } from "./dimensions.js";

export const INACTIVE = "n/a";

// A trial without a value here (an inactive conditional parameter) gets a slot below the axis
// labelled "n/a", so its line still runs through the other axes.
function withInactiveSlot(dim) {
  if (!dim.values.includes(null)) return dim;
  const [lo, hi] = dim.range;
  const ticks = dim.tickvals ? { tickvals: dim.tickvals, ticktext: dim.ticktext } : linearTicks(lo, hi);
  const slot = dim.categorical ? -1 : lo - 0.12 * (hi - lo);
  return {
    ...dim,
    values: dim.values.map((v) => (v === null ? slot : v)),
    range: [slot, hi],
    tickvals: [slot, ...ticks.tickvals],
    ticktext: [INACTIVE, ...ticks.ticktext],
  };
}

// The dimensions of the lines: every non-fixed parameter, then the objective.
export function parcoordsDimensions(trials, space, objective) {
  const names = Object.keys(space).filter((k) => space[k].type !== "fixed");
  // Keyed by axis key, so a parameter named "value" is not taken for the objective.
  const dims = [
    ...names.map((name) => {
      const key = paramKey(name);
      return withInactiveSlot({ ...dimension(name, space[name], trials, (t) => axisValue(t, key)), key });
    }),
    { ...dimension(valueLabel(objective), null, trials, (t) => t.value), key: VALUE },
  ];
  // The objective is never missing: the trials are finished ones with a value.
  return { rows: trials, dims };
}

// The brushes plotly holds on the drawn lines (each dimension's constraintrange), by key.
export function brushConstraints(plotted, dims) {
  const constraints = {};
  plotted.forEach((d, i) => {
    if (d.constraintrange && dims[i]) constraints[dims[i].key] = d.constraintrange;
  });
  return constraints;
}

function within(v, range) {
  const ranges = Array.isArray(range[0]) ? range : [range];
  return ranges.some(([lo, hi]) => v >= Math.min(lo, hi) && v <= Math.max(lo, hi));
}

// Ids of the rows inside every brushed range; `constraints` maps a dimension key to plotly's
// constraintrange ([lo, hi] or a list of them). Null when nothing is brushed.
export function brushedIds(rows, dims, constraints) {
  const active = dims.filter((d) => constraints[d.key]);
  if (!active.length) return null;
  const ids = [];
  for (let i = 0; i < rows.length; i += 1) {
    if (active.every((d) => within(d.values[i], constraints[d.key]))) ids.push(rows[i].id);
  }
  return ids;
}

// The figure; lines are coloured by the objective, or, when another view selected trials,
// the selected ones in orange over grey (drawn last, so on top).
export function parcoordsFigure({ rows, dims, objective, direction, constraints = {}, selected = null }) {
  let order = rows.map((_, i) => i);
  let line;
  if (selected) {
    order = [...order.filter((i) => !selected.has(rows[i].id)), ...order.filter((i) => selected.has(rows[i].id))];
    line = {
      color: order.map((i) => (selected.has(rows[i].id) ? 1 : 0)),
      colorscale: [[0, "#d5d9df"], [1, "#e8590c"]],
      cmin: 0,
      cmax: 1,
    };
  } else {
    // Plotly draws lines with higher colour values on top: colour by how good a trial is
    // (the objective, negated when minimizing), so the best lines are not buried, and label
    // the colour bar with the objective's own values. Brighter is better.
    const sign = direction === "minimize" ? -1 : 1;
    const objectiveDim = dims[dims.length - 1];
    const [lo, hi] = objectiveDim.range;
    const ticks = linearTicks(lo, hi);
    line = {
      color: order.map((i) => sign * objectiveDim.values[i]),
      colorscale: "Viridis",
      showscale: true,
      colorbar: {
        title: { text: escapeHtml(valueLabel(objective)) },
        thickness: 12,
        tickvals: ticks.tickvals.map((v) => sign * v),
        ticktext: ticks.ticktext,
      },
    };
  }
  const dimensions = dims.map((d) => {
    const out = { label: d.label, values: order.map((i) => d.values[i]), range: d.range };
    if (d.tickvals) Object.assign(out, { tickvals: d.tickvals, ticktext: d.ticktext });
    if (constraints[d.key]) out.constraintrange = constraints[d.key];
    return out;
  });
  return {
    data: [{ type: "parcoords", line, dimensions }],
    layout: { margin: { t: 50, r: 60, l: 60, b: 20 } },
    order,
  };
}

// The parallel-coordinates tab: the finished trials (thinned, those in `keep` kept) as lines,
// `selected` ones highlighted (null: coloured by the objective); `lines` are the rows and
// dimensions a brush is read against. No figure for fewer than two trials.
export function parcoordsTab({ trials, space, objective, direction, constraints, keep = null, selected = null }) {
  const { shown, thinned, enough } = finishedSample(trials, direction, keep);
  if (!enough) return { note: "Needs at least 2 finished trials.", figure: null, lines: null };
  const lines = parcoordsDimensions(shown, space, objective);
  const figure = parcoordsFigure({ ...lines, objective, direction, constraints, selected });
  return { note: `Drag along an axis to select a range; click it to clear.${thinned}`, figure, lines };
}
