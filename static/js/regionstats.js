// Pure: how the trials inside a region compare with the ones outside it.
import { bestOf } from "./region.js";

const FINISHED = new Set(["complete", "failed", "pruned"]);

export function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// count: every trial; best and median: completed trials with a value; failure rate: failed
// among finished (complete, failed or pruned) trials, null when none has finished.
export function statsOf(trials, direction) {
  const values = [];
  for (const t of trials) if (t.state === "complete" && typeof t.value === "number") values.push(t.value);
  const finished = trials.filter((t) => FINISHED.has(t.state)).length;
  const failed = trials.filter((t) => t.state === "failed").length;
  return {
    count: trials.length,
    best: bestOf(trials, direction),
    median: median(values),
    failureRate: finished ? failed / finished : null,
  };
}

// The sides of a region where its best trials crowd, as the suggested region's edges: the best
// fifth of the completed trials inside (at least 5 of them) agree (spread at most half the
// range) and reach the outer tenth of a numeric parameter's range, in decades on a log one.
export function regionEdges(trials, region, space, direction) {
  const done = trials.filter((t) => t.state === "complete" && typeof t.value === "number");
  if (done.length < 5) return [];
  const sign = direction === "maximize" ? -1 : 1;
  const ranked = [...done].sort((a, b) => sign * (a.value - b.value));
  const best = ranked.slice(0, Math.ceil(0.2 * done.length));
  const edges = [];
  for (const [param, bounds] of Object.entries(region)) {
    const spec = space[param];
    if (!spec || (spec.type !== "float" && spec.type !== "int")) continue;
    const f = spec.log ? Math.log10 : (v) => v;
    const [lo, hi] = [f(bounds[0]), f(bounds[1])];
    let [uMin, uMax] = [Infinity, -Infinity];
    for (const t of best) {
      const v = t.params[param];
      if (typeof v !== "number") continue;
      const u = (f(v) - lo) / (hi - lo);
      [uMin, uMax] = [Math.min(uMin, u), Math.max(uMax, u)];
    }
    if (uMin > uMax || uMax - uMin > 0.5) continue;
    for (const [side, near] of [["low", uMin <= 0.1], ["high", uMax >= 0.9]]) {
      if (!near) continue;
      const message = `the best trials inside sit at the ${side} end of ${param}: `;
      edges.push({ param, side, message: `${message}the optimum may lie outside this region` });
    }
  }
  return edges;
}
