// Pure: the history tab: the best value so far against the trial number, one step line per
// search, in the search's own colour and symbol (the scatter plot's).
import { escapeHtml } from "../format.js";
import { searchLabel, valueLabel } from "../labels.js";
import { searchStyles } from "../palette.js";
import { shorten } from "./dimensions.js";

// [{number, best}] at each complete trial that improved on the ones before it (by number),
// plus the last trial so the line reaches the end.
export function bestSoFar(trials, direction) {
  const better = direction === "maximize" ? (a, b) => a > b : (a, b) => a < b;
  const done = trials.filter((t) => t.state === "complete" && t.value !== null).sort((a, b) => a.number - b.number);
  const points = [];
  let best = null;
  for (const t of done) {
    if (best === null || better(t.value, best)) {
      best = t.value;
      points.push({ number: t.number, best });
    }
  }
  if (done.length && points[points.length - 1].number !== done[done.length - 1].number) {
    points.push({ number: done[done.length - 1].number, best });
  }
  return points;
}

export function historyFigure({ trials, searches, visible = null, direction, objective }) {
  const styles = searchStyles(searches);
  const data = searches
    .filter((s) => !visible || visible.has(s.id))
    .map((search) => {
      const points = bestSoFar(trials.filter((t) => t.searchId === search.id), direction);
      const { color, symbol } = styles.get(search.id);
      return {
        type: "scatter",
        mode: "lines+markers",
        line: { shape: "hv", color },
        marker: { size: 6, symbol, color },
        name: searchLabel(search),
        x: points.map((p) => p.number),
        y: points.map((p) => p.best),
      };
    })
    .filter((trace) => trace.x.length);
  const ys = data.flatMap((trace) => trace.y);
  // Values that shrink towards 0 over decades read better on a log axis.
  const log = ys.length > 0 && ys.every((v) => v > 0) && Math.max(...ys) / Math.min(...ys) > 100;
  // The title in two short lines and the legend on the right, so the plot keeps its height
  // however many searches there are and the title fits beside it.
  const label = shorten(valueLabel(objective), 28);
  const layout = {
    xaxis: { title: { text: "trial number" }, automargin: true },
    yaxis: {
      title: { text: `${escapeHtml(label)}<br>best so far (${direction})` },
      type: log ? "log" : "linear",
      automargin: true,
      exponentformat: "e",
    },
    legend: { orientation: "v", x: 1.02, y: 1, yanchor: "top" },
    margin: { t: 10, r: 10 },
  };
  return { data, layout };
}

// The history tab: the figure, and a note while no trial has finished.
export function historyTab({ trials, searches, visible, direction, objective }) {
  const figure = historyFigure({ trials, searches, visible, direction, objective });
  return { note: figure.data.length ? "" : "No finished trials yet.", figure };
}
