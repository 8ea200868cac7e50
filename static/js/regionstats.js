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
  const values = trials.filter((t) => t.state === "complete" && typeof t.value === "number").map((t) => t.value);
  const finished = trials.filter((t) => FINISHED.has(t.state)).length;
  const failed = trials.filter((t) => t.state === "failed").length;
  return {
    count: trials.length,
    best: bestOf(trials, direction),
    median: median(values),
    failureRate: finished ? failed / finished : null,
  };
}

// Split `trials` by `isInside` and describe both sides.
export function insideOutside(trials, isInside, direction) {
  const inside = [];
  const outside = [];
  for (const t of trials) (isInside(t) ? inside : outside).push(t);
  return { inside: statsOf(inside, direction), outside: statsOf(outside, direction) };
}
