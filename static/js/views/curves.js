// Pure: the learning-curves tab: which trials' curves to draw (the best few and the selected
// ones) and the chart of their intermediate values.
import { escapeHtml, fmt } from "../format.js";
import { valueLabel } from "../labels.js";
import { COLORS } from "../palette.js";

export const BEST_CURVES = 8;
export const MAX_CURVES = 40;

// Ids to fetch: the selected trials (best first, at most MAX_CURVES) and the BEST_CURVES
// best complete ones.
export function curveTrials(trials, direction, selected = null, best = BEST_CURVES) {
  const sign = direction === "maximize" ? -1 : 1;
  const ranked = trials
    .filter((t) => t.state === "complete" && typeof t.value === "number")
    .sort((a, b) => sign * (a.value - b.value) || a.id - b.id);
  const picked = ranked.slice(0, best);
  if (selected) {
    const chosen = trials.filter((t) => selected.has(t.id));
    chosen.sort((a, b) => (a.value === null) - (b.value === null) || sign * (a.value - b.value) || a.id - b.id);
    const have = new Set(picked);
    for (const t of chosen) {
      if (picked.length >= MAX_CURVES) break;
      if (!have.has(t)) picked.push(t);
    }
  }
  return picked;
}

const SELECTED = "#e8590c"; // the selection's orange, which no colour of the palette is

// `curves` maps a trial id to {steps, values}; `trials` is curveTrials' answer. Each trial has a
// colour of its own from a qualitative palette (by rank: the best is the first colour), and
// the selected ones are orange and thicker.
export function curvesFigure({ trials, curves, selected = null, objective }) {
  const data = [];
  trials.forEach((t, i) => {
    const c = curves.get(t.id);
    if (!c || !c.steps.length) return;
    const isSelected = Boolean(selected && selected.has(t.id));
    data.push({
      type: "scatter",
      mode: c.steps.length > 30 ? "lines" : "lines+markers",
      name: `#${t.number} · search ${t.searchId}` + (t.value === null ? ` (${t.state})` : ` → ${fmt(t.value)}`),
      x: c.steps,
      y: c.values,
      customdata: c.steps.map(() => t.id),
      line: { color: isSelected ? SELECTED : COLORS[i % COLORS.length], width: isSelected ? 2.5 : 1.5 },
      marker: { size: 4 },
    });
  });
  const ys = data.flatMap((trace) => trace.y);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ys) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const log = ys.length > 0 && lo > 0 && hi / lo > 100;
  let maxStep = 0;
  for (const trace of data) maxStep = Math.max(maxStep, trace.x[trace.x.length - 1]);
  return {
    data,
    layout: {
      // Whole steps only: no tick at step 0.5 on short curves.
      xaxis: { title: { text: "step" }, automargin: true, ...(maxStep <= 20 ? { dtick: 1 } : {}) },
      yaxis: {
        title: { text: escapeHtml(`intermediate ${valueLabel(objective)}`) },
        type: log ? "log" : "linear",
        automargin: true,
        exponentformat: "e",
      },
      showlegend: data.length <= 16,
      legend: { font: { size: 11 } },
      margin: { t: 10, r: 10 },
      hovermode: "closest",
    },
  };
}

// The learning-curves tab: the curves of the `picked` trials (curveTrials) that `curves` holds;
// no figure when none reported an intermediate value.
export function curvesTab({ picked, curves, selected = null, objective }) {
  const figure = curvesFigure({ trials: picked, curves, selected, objective });
  if (!figure.data.length) return { note: "These trials reported no intermediate values.", figure: null };
  let what = "the best trials";
  if (selected) {
    const shown = picked.filter((t) => selected.has(t.id)).length;
    const which = shown < selected.size ? `the best ${shown} of the ${selected.size} selected` : "the selected ones";
    what += ` and ${which} (orange)`;
  }
  return { note: `Intermediate values of ${what}.`, figure };
}
