// Pure: the trial page's chart: one trial's intermediate values ([step, value] pairs) as a line.
export function curveFigure(points) {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  return {
    data: [
      {
        type: "scatter",
        mode: "lines+markers",
        name: "intermediate value",
        x: sorted.map((p) => p[0]),
        y: sorted.map((p) => p[1]),
        line: { color: "#2f5bd3" },
      },
    ],
    layout: {
      // Whole steps only: no tick at step 0.5 on a short curve.
      xaxis: { title: { text: "step" }, automargin: true, ...(sorted.length <= 20 ? { dtick: 1 } : {}) },
      yaxis: { title: { text: "intermediate value" }, automargin: true },
      margin: { t: 20, r: 10 },
      showlegend: false,
    },
  };
}

