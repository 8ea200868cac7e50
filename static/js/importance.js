// Pure: how much of the objective each parameter explains. For each parameter, the trials are
// grouped (categories by choice; numbers in equal-width bins over the trials' span, in log10
// for log parameters) and the score is the share of the variance of the objective's ranks
// explained by the groups' means, adjusted for chance (epsilon squared): ranks keep one
// diverged trial from swamping the rest, and the adjustment keeps a noise parameter near 0.
const MIN_TRIALS = 8;

function isNumber(v) {
  return typeof v === "number" && Number.isFinite(v);
}

// Average ranks 0..n-1 (ties share their mean rank).
export function ranks(values) {
  const order = values.map((v, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j += 1;
    for (let k = i; k <= j; k += 1) out[order[k]] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

// Group labels for one parameter's values (null where the trial has no usable value).
function groupsOf(spec, values, maxBins) {
  if (spec.type === "categorical") {
    return values.map((v) => (v === null || v === undefined ? null : String(v)));
  }
  const xs = values.map((v) => (isNumber(v) && (!spec.log || v > 0) ? (spec.log ? Math.log10(v) : v) : null));
  const distinct = new Set(xs.filter((x) => x !== null));
  const present = xs.filter((x) => x !== null).length;
  const bins = Math.min(maxBins, Math.max(2, Math.floor(Math.sqrt(present))));
  if (distinct.size <= bins) return xs; // few values (small ints): one group each
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of distinct) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return xs.map((x) => (x === null ? null : Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins))));
}

// Epsilon squared of `y` grouped by `labels`: (SSb - (G-1) MSw) / SSt, clipped to [0, 1].
export function explainedShare(labels, y) {
  const n = y.length;
  let mean = 0;
  for (const v of y) mean += v / n;
  const groups = new Map();
  let total = 0;
  for (let i = 0; i < n; i += 1) {
    const g = groups.get(labels[i]) || { n: 0, sum: 0 };
    g.n += 1;
    g.sum += y[i];
    groups.set(labels[i], g);
    total += (y[i] - mean) ** 2;
  }
  const k = groups.size;
  if (k < 2 || total === 0 || n <= k) return 0;
  let between = 0;
  for (const g of groups.values()) between += g.n * (g.sum / g.n - mean) ** 2;
  const withinMean = (total - between) / (n - k);
  return Math.min(1, Math.max(0, (between - (k - 1) * withinMean) / total));
}

// [{name, score, share, n}] for every non-fixed parameter, most important first; score is null
// when fewer than MIN_TRIALS complete trials have the parameter. `share` is the parameter's part
// of the scores' sum (the shares add up to 1; all 0 when nothing scores): each score is measured
// on its own, and parameters that act together are each credited with their joint effect, so
// the scores themselves can add up to more than 1.
export function importance(trials, space, { maxBins = 10 } = {}) {
  const done = trials.filter((t) => t.state === "complete" && isNumber(t.value));
  let allRanks = null; // one sort serves every parameter that all the trials have
  const out = [];
  for (const [name, spec] of Object.entries(space)) {
    if (spec.type === "fixed") continue;
    const labels = groupsOf(spec, done.map((t) => t.params[name]), maxBins);
    const keep = [];
    for (let i = 0; i < done.length; i += 1) if (labels[i] !== null) keep.push(i);
    if (keep.length < MIN_TRIALS) {
      out.push({ name, score: null, n: keep.length });
      continue;
    }
    if (keep.length === done.length && allRanks === null) allRanks = ranks(done.map((t) => t.value));
    const y = keep.length === done.length ? allRanks : ranks(keep.map((i) => done[i].value));
    out.push({ name, score: explainedShare(keep.map((i) => labels[i]), y), n: keep.length });
  }
  return withShares(out).sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.name.localeCompare(b.name));
}

function withShares(ranking) {
  let total = 0;
  for (const r of ranking) total += r.score ?? 0;
  return ranking.map((r) => ({ ...r, share: r.score === null ? null : total > 0 ? r.score / total : 0 }));
}
