// Pure: a search's best so far as a sparkline for its row in the search tree (no DOM: treeview.js
// makes the SVG). The line is the lineage's change points ([trials spent, best], a handful even at
// 100,000 trials) as steps over the search's own trials, larger values up; a refinement's
// baseline (its parent's best inside its region) is a level on the same scale, so the line
// crossing it is where the refinement beat it.

const round = (v) => Math.round(v * 10) / 10;

// The smallest and largest of many values (a spread into Math.min overflows the stack from
// about 125,000 of them: a search that improves at nearly every trial sends that many points).
function range(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

// The path ("d") of the steps in a width x height box (pad pixels inside its edges), the height of
// the baseline (null: none), and whether the scale is log (values all positive and spanning more
// than a factor 100, as the Compare tab's axes); null when there is no point to draw.
export function sparkline(bestSoFar, { baseline = null, width = 80, height = 20, pad = 2 } = {}) {
  if (!bestSoFar || !bestSoFar.length) return null;
  const values = bestSoFar.map(([, best]) => best);
  if (baseline !== null) values.push(baseline);
  const [lo, hi] = range(values);
  const log = lo > 0 && hi / lo > 100;
  const t = log ? Math.log10 : (v) => v;
  const span = t(hi) - t(lo);
  const y = (v) => round(span > 0 ? pad + (1 - (t(v) - t(lo)) / span) * (height - 2 * pad) : height / 2);
  const last = bestSoFar[bestSoFar.length - 1][0];
  const x = (spent) => round(pad + (last > 0 ? spent / last : 1) * (width - 2 * pad));
  // One step per tenth of a pixel at most: the best so far is monotone, so of the points
  // that land on one column the last one's level draws the same line (a path of at most
  // 10 x width steps, however many points).
  let d = `M${x(bestSoFar[0][0])} ${y(bestSoFar[0][1])}`;
  let column = null;
  let level = null;
  for (let i = 1; i < bestSoFar.length; i += 1) {
    const at = x(bestSoFar[i][0]);
    if (column !== null && at !== column) d += `H${column}V${level}`;
    column = at;
    level = y(bestSoFar[i][1]);
  }
  if (column !== null) d += `H${column}V${level}`;
  return { d, baselineY: baseline === null ? null : y(baseline), log, width, height };
}
