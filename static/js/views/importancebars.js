// Pure: the importance tab: the parameter-importance ranking (importance.js computes it) as a
// horizontal bar chart of each parameter's share of the importance (the bars add up to 100 %).
import { escapeHtml } from "../format.js";

const percent = (v, digits) => `${(100 * v).toFixed(digits)} %`;

export function importanceFigure(ranking) {
  const shown = ranking.filter((r) => r.score !== null).reverse(); // most important on top
  return {
    data: [
      {
        type: "bar",
        orientation: "h",
        x: shown.map((r) => r.share),
        y: shown.map((r) => escapeHtml(r.name)),
        text: shown.map((r) => percent(r.share, 0)),
        textposition: "outside",
        cliponaxis: false,
        hovertext: shown.map(
          (r) =>
            `${escapeHtml(r.name)}: ${percent(r.share, 1)} of the summed importance<br>` +
            `alone, it explains ${percent(r.score, 1)} of the variance of the objective's ranks (${r.n} trials)`,
        ),
        hoverinfo: "text",
        marker: { color: "#2f5bd3" },
      },
    ],
    layout: {
      xaxis: {
        title: { text: "share of the summed importance (the bars add up to 100 %)" },
        range: [0, 1.08],
        tickformat: ".0%",
      },
      yaxis: { automargin: true, type: "category" },
      margin: { t: 10, r: 30 },
      height: Math.max(220, 60 + 34 * shown.length),
      bargap: 0.35,
    },
  };
}

// The importance tab: the bars and what they rest on; no figure until a parameter is ranked.
export function importanceTab(ranking) {
  if (!ranking.some((r) => r.score !== null)) {
    return { note: "Needs at least 8 finished trials to rank the parameters.", figure: null };
  }
  const n = Math.max(...ranking.map((r) => r.n));
  const rough = n < 30 ? " With this few, the ranking is rough: chance alone can score a parameter." : "";
  const none = ranking.every((r) => !r.score) ? " No parameter stands out from chance." : "";
  const bars = " Each bar is a parameter's share of the importance of them all; hover for what it explains alone.";
  return { note: `From ${n} finished trials.${none}${rough}${bars}`, figure: importanceFigure(ranking) };
}
