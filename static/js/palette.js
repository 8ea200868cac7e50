// Pure: the colours and marker symbols that tell searches, categories and learning curves apart.
// The selection's orange (#e8590c) is none of them.

// Twenty distinct colours and twenty distinct symbols ("x" and "x-open" mark failed and pruned
// trials): a search keeps its pair wherever it is drawn, and no two of 20 searches share either.
export const COLORS = [
  "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79",
  "#637939", "#e7ba52", "#843c39", "#7b4173", "#6b6ecf", "#d6616b", "#0b6e4f", "#c49c94", "#9c9ede", "#ce6dbd",
];
export const SYMBOLS = [
  "circle", "square", "diamond", "triangle-up", "triangle-down", "star", "cross", "pentagon", "hexagram",
  "triangle-left", "triangle-right", "hourglass", "bowtie", "star-diamond", "hexagon", "star-square",
  "diamond-wide", "diamond-tall", "circle-cross", "star-triangle-up",
];
// The categories of a categorical colour axis: Okabe and Ito's colour-blind-safe eight first.
export const CATEGORY_COLORS = ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#999999", ...COLORS];

// Search id -> {symbol, color}, by the search's rank among the experiment's searches in order of
// id: a new search comes last, so the others keep theirs; filtering does not renumber them.
// Past 20 the colours shift by one per round, so no two of 400 searches look the same.
export function searchStyles(searches) {
  const ids = searches.map((s) => s.id).sort((a, b) => a - b);
  return new Map(
    ids.map((id, rank) => {
      const round = Math.floor(rank / SYMBOLS.length);
      return [id, { symbol: SYMBOLS[rank % SYMBOLS.length], color: COLORS[(rank + round) % COLORS.length] }];
    }),
  );
}

// A colour scale of n equal bands, one colour each, for the indices 0..n-1 with cmin -0.5 and
// cmax n - 0.5.
export function bandedColorscale(colors) {
  const n = colors.length;
  return colors.flatMap((c, i) => [[i / n, c], [(i + 1) / n, c]]);
}

// Plotly's "Viridis" (the colour scale the scatter plot colours numbers with), stop by stop.
export const VIRIDIS = [
  [0, "#440154"], [0.06274509803921569, "#48186a"], [0.12549019607843137, "#472d7b"], [0.18823529411764706, "#424086"],
  [0.25098039215686274, "#3b528b"], [0.3137254901960784, "#33638d"], [0.3764705882352941, "#2c728e"],
  [0.4392156862745098, "#26828e"], [0.5019607843137255, "#21918c"], [0.5647058823529412, "#1fa088"],
  [0.6274509803921569, "#28ae80"], [0.6901960784313725, "#3fbc73"], [0.7529411764705882, "#5ec962"],
  [0.8156862745098039, "#84d44b"], [0.8784313725490196, "#addc30"], [0.9411764705882353, "#d8e219"], [1, "#fde725"],
];

// "#rrggbb" as [r, g, b], each 0..1, and back.
export function channels(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

export function hexOf(rgb) {
  return `#${rgb.map((v) => Math.round(v * 255).toString(16).padStart(2, "0")).join("")}`;
}

// The colour of a scale (stops [[position, "#rrggbb"], …], positions 0..1 rising) at t in 0..1,
// mixed in RGB between the stops around it as plotly mixes them.
export function colorAt(scale, t) {
  const x = Math.min(1, Math.max(0, t));
  let i = 1;
  while (i < scale.length - 1 && scale[i][0] < x) i += 1;
  const [p0, c0] = scale[i - 1];
  const [p1, c1] = scale[i];
  const f = p1 > p0 ? (x - p0) / (p1 - p0) : 0;
  const [a, b] = [channels(c0), channels(c1)];
  return hexOf(a.map((v, k) => v + (b[k] - v) * f));
}

// A scale sampled at `levels` evenly spaced points (reversed: from its top down), as "#rrggbb":
// a WebGL trace coloured from it gives plotly one of 256 strings per point, where a colour
// number costs plotly the scale's interpolation and two strings per point (seconds at a million).
export function scaleLevels(scale, { levels = 256, reverse = false } = {}) {
  return Array.from({ length: levels }, (_, k) => colorAt(scale, reverse ? 1 - k / (levels - 1) : k / (levels - 1)));
}

// The colour plotly gives a point with no colour number (its default line colour).
export const NO_COLOR = "#444444";
