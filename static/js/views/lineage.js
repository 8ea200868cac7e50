// Pure: the compare tab's figures and rows, from GET /api/experiments/{id}/lineage (the server's
// numbers: best so far as change points, EDFs, gains) and, for the pair of searches picked, the
// page's own trials on the scatter plot's current axes. Did zooming pay off?
import { axisLabel, axisLayout, axisValue, paramSpec, plotValue } from "../axes.js";
import { escapeHtml } from "../format.js";
import { searchLabel, valueLabel } from "../labels.js";
import { searchStyles } from "../palette.js";
import { GL_POINTS } from "../scatter.js";
import { shorten } from "./dimensions.js";

const shown = (visible) => (s) => !visible || visible.has(s.id);
const LEGEND = { orientation: "v", x: 1.02, y: 1, yanchor: "top" };

// The search rows of the experiment, by id (for labels: the lineage has ids, the page the rest).
function byId(searches) {
  return new Map(searches.map((s) => [s.id, s]));
}

function label(search, id) {
  return escapeHtml(search ? searchLabel(search) : `search ${id}`);
}

// One step line per search of the best so far against trials spent on one axis: a child's line
// starts where it was made (its parent's start plus the parent's trials finished by then). A
// dotted line in the child's colour marks what it had to beat: its parent's best in its region.
export function progressFigure({ lineage, searches, visible = null, direction, objective }) {
  const styles = searchStyles(searches);
  const rows = byId(searches);
  const data = [];
  for (const s of lineage.searches.filter(shown(visible))) {
    if (!s.best_so_far.length) continue;
    const style = styles.get(s.id) || {};
    const name = label(rows.get(s.id), s.id);
    const x = s.best_so_far.map(([spent]) => s.start + spent);
    data.push({
      type: "scatter",
      mode: s.best_so_far.length > 60 ? "lines" : "lines+markers",
      line: { shape: "hv", color: style.color },
      marker: { size: 6, symbol: style.symbol, color: style.color },
      name,
      legendgroup: String(s.id),
      x,
      y: s.best_so_far.map(([, best]) => best),
      customdata: s.best_so_far.map(() => s.id),
    });
    if (s.gain && s.gain.baseline !== null) {
      data.push({
        type: "scatter",
        mode: "lines",
        line: { color: style.color, dash: "dot", width: 1.5 },
        name: `${name}: parent's best in its region`,
        legendgroup: String(s.id),
        showlegend: false,
        hovertemplate: `${name}<br>parent's best in its region: %{y}<extra></extra>`,
        x: [s.start, x[x.length - 1]],
        y: [s.gain.baseline, s.gain.baseline],
      });
    }
  }
  const ys = data.flatMap((t) => t.y);
  const log = ys.length > 0 && ys.every((v) => v > 0) && Math.max(...ys) / Math.min(...ys) > 100;
  const layout = {
    xaxis: { title: { text: "trials spent (a refinement starts where it was made)" }, automargin: true },
    yaxis: {
      title: { text: `${escapeHtml(shorten(valueLabel(objective), 28))}<br>best so far (${direction})` },
      type: log ? "log" : "linear",
      automargin: true,
      exponentformat: "e",
    },
    legend: LEGEND,
    margin: { t: 10, r: 10 },
  };
  return { data, layout };
}

// One step line per search: the fraction of its complete trials at or below each value (as
// Optuna's plot_edf). A line starts at 0 just before its smallest value.
export function edfFigure({ lineage, searches, visible = null, objective }) {
  const styles = searchStyles(searches);
  const rows = byId(searches);
  const data = lineage.searches
    .filter(shown(visible))
    .filter((s) => s.edf.values.length)
    .map((s) => ({
      type: "scatter",
      mode: "lines",
      line: { shape: "hv", color: (styles.get(s.id) || {}).color },
      name: `${label(rows.get(s.id), s.id)} (${s.edf.n})`,
      x: [s.edf.values[0], ...s.edf.values],
      y: [0, ...s.edf.fractions],
    }));
  const xs = data.flatMap((t) => t.x);
  const log = xs.length > 0 && xs.every((v) => v > 0) && Math.max(...xs) / Math.min(...xs) > 100;
  const layout = {
    xaxis: { title: { text: escapeHtml(valueLabel(objective)) }, type: log ? "log" : "linear", automargin: true, exponentformat: "e" },
    yaxis: { title: { text: "fraction of complete trials ≤ value" }, range: [0, 1.02], automargin: true },
    legend: LEGEND,
    margin: { t: 10, r: 10 },
  };
  return { data, layout };
}

// The gain table: one row per refinement shown (a search with a parent), parents first.
export function gainRows({ lineage, searches, visible = null }) {
  const rows = byId(searches);
  return lineage.searches
    .filter(shown(visible))
    .filter((s) => s.gain)
    .map((s) => ({
      id: s.id,
      label: rows.get(s.id) ? searchLabel(rows.get(s.id)) : `search ${s.id}`,
      parentId: s.parent_id,
      atCreation: s.at_creation,
      trials: s.trials,
      baseline: s.gain.baseline,
      best: s.gain.best,
      gain: s.gain.gain,
      trialsToBeat: s.gain.trials_to_beat,
    }));
}

// The trials a search took to beat its baseline: "3 of 5", "not yet", or "–" without a baseline
// (a root, or a parent with no trial inside the region).
export function beatText(baseline, trialsToBeat, trials) {
  if (baseline === null || baseline === undefined) return "–";
  return trialsToBeat === null || trialsToBeat === undefined ? "not yet" : `${trialsToBeat} of ${trials}`;
}

// The pair to show first: the newest refinement and its parent (the zoom just made), else the
// two newest searches, else the one there is.
export function defaultPair(searches) {
  const ids = searches.map((s) => s.id).sort((a, b) => a - b);
  if (!ids.length) return [null, null];
  const child = [...searches].sort((a, b) => b.id - a.id).find((s) => s.parent_id !== null);
  if (child) return [child.parent_id, child.id];
  return ids.length > 1 ? [ids[ids.length - 2], ids[ids.length - 1]] : [ids[0], ids[0]];
}

function coordinates(trials, key, space) {
  const category = paramSpec(key, space)?.type === "categorical";
  return trials.map((t) => {
    const v = category ? plotValue(key, space, axisValue(t, key)) : axisValue(t, key);
    return typeof v === "string" ? escapeHtml(v) : v;
  });
}

// The two searches' complete trials on the scatter plot's x and y, one colour each: where each
// sampled, side by side on the same axes (WebGL from GL_POINTS trials, as the scatter plot).
export function pairFigure({ trials, a, b, searches, x, y, space, objective }) {
  const rows = byId(searches);
  const styles = searchStyles(searches);
  const ids = a === b ? [a] : [a, b];
  const groups = new Map(ids.map((id) => [id, []]));
  for (const t of trials) {
    if (t.state === "complete" && groups.has(t.searchId)) groups.get(t.searchId).push(t);
  }
  const total = ids.reduce((n, id) => n + groups.get(id).length, 0);
  const type = total >= GL_POINTS ? "scattergl" : "scatter";
  const data = ids.map((id, i) => {
    const own = groups.get(id);
    const style = styles.get(id) || {};
    return {
      type,
      mode: "markers",
      name: `${i === 0 ? "A" : "B"}: ${label(rows.get(id), id)} (${own.length})`,
      x: coordinates(own, x, space),
      y: coordinates(own, y, space),
      customdata: own.map((t) => t.id),
      marker: { size: 6, color: style.color, symbol: i === 0 ? "circle" : "diamond", opacity: 0.7 },
      hovertemplate: `${label(rows.get(id), id)} · trial %{customdata}<extra></extra>`,
    };
  });
  const axis = (key) => ({ ...axisLayout(key, space, objective), title: { text: escapeHtml(axisLabel(key, objective)) } });
  return {
    data,
    layout: { xaxis: axis(x), yaxis: axis(y), legend: { orientation: "h", y: 1.12 }, margin: { t: 30, r: 10 } },
    total,
  };
}
