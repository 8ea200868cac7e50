// Pure: the scatter-matrix tab (each tab's module here makes its note and figure; analysis.js
// puts them on the page): the most important parameters and the objective against each other,
// log axes for log parameters, coloured by the objective; `selected` trials stand out.
import { VALUE, axisValue, paramKey } from "../axes.js";
import { escapeHtml } from "../format.js";
import { hoverOf, searchLabel, valueLabel } from "../labels.js";
import { selectedIndices } from "../selection.js";
import { dimension, finishedSample } from "./dimensions.js";

export const MATRIX_PARAMS = 4;

// The parameters to show: the most important ones with a score, else the first ones.
export function matrixParams(ranking, space, n = MATRIX_PARAMS) {
  const scored = ranking.filter((r) => r.score !== null).map((r) => r.name);
  const rest = Object.keys(space).filter((k) => space[k].type !== "fixed" && !scored.includes(k));
  return [...scored, ...rest].slice(0, n);
}

// Ticks at the dimension's round values in the page's number format (whole numbers for
// integers); a log axis takes them in real units.
function axisFor(dim) {
  const axis = { automargin: true, zeroline: false, title: { text: dim.label, font: { size: 11 } } };
  if (dim.categorical) return { ...axis, tickvals: dim.tickvals, ticktext: dim.ticktext.map(escapeHtml) };
  const tickvals = dim.log ? dim.tickvals.map((t) => Number((10 ** t).toPrecision(12))) : dim.tickvals;
  return { ...axis, type: dim.log ? "log" : "linear", tickmode: "array", tickvals, ticktext: dim.ticktext };
}

// `trials` are complete ones with a value; `hover` gives a trial's hover text.
export function splomFigure({ trials, space, params, objective, direction, selected = null, hover }) {
  const keys = [...params.map(paramKey), VALUE];
  const dims = [
    ...params.map((name) => dimension(name, space[name], trials, (t) => axisValue(t, paramKey(name)))),
    dimension(valueLabel(objective), null, trials, (t) => t.value),
  ];
  const ids = trials.map((t) => t.id);
  const trace = {
    type: "splom",
    name: "trials",
    // Log parameters go in real units on log axes; categories as their index.
    dimensions: dims.map((d) => ({
      label: d.label,
      values: d.log ? d.values.map((v) => (v === null ? null : 10 ** v)) : d.values,
    })),
    customdata: ids,
    hovertext: trials.map(hover),
    hoverinfo: "text",
    showupperhalf: false,
    diagonal: { visible: false },
    marker: {
      size: trials.length > 5000 ? 3 : 5,
      color: trials.map((t) => t.value),
      colorscale: "Viridis",
      reversescale: direction === "minimize", // brighter is better
      showscale: true,
      colorbar: { title: { text: escapeHtml(valueLabel(objective)) }, thickness: 12, exponentformat: "e" },
      line: { width: trials.length > 5000 ? 0 : 0.3, color: "#333" },
    },
    selected: { marker: { opacity: 1 } },
    unselected: { marker: { opacity: 0.08, color: "#9aa3ad" } },
  };
  if (selected) trace.selectedpoints = selectedIndices(ids, selected);
  const layout = {
    dragmode: "select",
    hovermode: "closest",
    margin: { t: 10, r: 10, l: 10, b: 10 },
    uirevision: keys.join("|"),
    showlegend: false,
  };
  dims.forEach((d, i) => {
    const suffix = i === 0 ? "" : String(i + 1);
    layout[`xaxis${suffix}`] = axisFor(d);
    layout[`yaxis${suffix}`] = axisFor(d);
  });
  return { data: [trace], layout };
}

// The scatter-matrix tab: the finished trials (thinned, the `selected` ones kept) against the
// most important parameters of `ranking`; no figure for fewer than two.
export function splomTab({ trials, space, objective, direction, searches, ranking, selected = null }) {
  const { shown, thinned, enough } = finishedSample(trials, direction, selected);
  if (!enough) return { note: "Needs at least 2 finished trials.", figure: null };
  const labels = new Map(searches.map((s) => [s.id, searchLabel(s)]));
  const params = matrixParams(ranking, space);
  const figure = splomFigure({
    trials: shown,
    space,
    params,
    objective,
    direction,
    selected,
    hover: (t) => hoverOf(t, labels.get(t.searchId)),
  });
  return { note: `The ${params.length} most important parameters against the objective.${thinned}`, figure };
}
