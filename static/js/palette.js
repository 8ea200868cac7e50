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
