// Pure: the parameter-importance ranking (importance.js) as a horizontal bar chart.
import { escapeHtml } from "../format.js";

export function importanceFigure(ranking) {
  const shown = ranking.filter((r) => r.score !== null).reverse(); // most important on top
  return {
    data: [
      {
        type: "bar",
        orientation: "h",
        x: shown.map((r) => r.score),
        y: shown.map((r) => escapeHtml(r.name)),
        text: shown.map((r) => `${(100 * r.score).toFixed(0)} %`),
        textposition: "outside",
        cliponaxis: false,
        hovertext: shown.map((r) => `${escapeHtml(r.name)}: ${(100 * r.score).toFixed(1)} % of ${r.n} trials`),
        hoverinfo: "text",
        marker: { color: "#2f5bd3" },
      },
    ],
    layout: {
      xaxis: { title: { text: "share of the objective's rank variance explained" }, range: [0, 1.08], tickformat: ".0%" },
      yaxis: { automargin: true, type: "category" },
      margin: { t: 10, r: 30 },
      height: Math.max(220, 60 + 34 * shown.length),
      bargap: 0.35,
    },
  };
}
