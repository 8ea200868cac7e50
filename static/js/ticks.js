// Pure: tick values at round numbers, labelled in the page's number format (format.js), for the
// scatter plot's parameter axes, the scatter matrix, the parallel coordinates and colour bars.
// Integer parameters get whole-number ticks only.
import { fmt } from "./format.js";

function niceStep(rough) {
  const p = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= rough);
}

// Evenly spaced ticks on a linear axis from lo to hi, at round values.
export function linearTicks(lo, hi, { integer = false } = {}) {
  let step = niceStep((hi - lo) / 5 || 1);
  if (integer) step = Math.max(1, step);
  const tickvals = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) tickvals.push(Number(v.toPrecision(12)));
  return { tickvals, ticktext: tickvals.map(fmt) };
}

// Ticks for a log10 axis from lo to hi (log10 units): decades, 1-2-5 steps on a few decades,
// evenly spaced real values on less than one.
export function logTicks(lo, hi, { integer = false } = {}) {
  let tickvals = [];
  const steps = hi - lo < 2 ? [1, 2, 5] : [1];
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d += 1) {
    for (const m of steps) {
      const t = d + Math.log10(m);
      if (t >= lo - 1e-9 && t <= hi + 1e-9) tickvals.push(t);
    }
  }
  if (tickvals.length < 3) {
    const [a, b] = [10 ** lo, 10 ** hi];
    let step = niceStep((b - a) / 4);
    if (integer) step = Math.max(1, step);
    tickvals = [];
    for (let v = Math.ceil(a / step) * step; v <= b * (1 + 1e-9); v += step) tickvals.push(Math.log10(Number(v.toPrecision(12))));
  }
  return { tickvals, ticktext: tickvals.map((t) => fmt(Number((10 ** t).toPrecision(12)))) };
}

function span(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

// Tick settings for a plotly axis of a numeric parameter, in real units over the span of
// `values`: {tickmode, tickvals, ticktext}, or {} when there is nothing to span.
export function axisTicks(values, { log = false, integer = false } = {}) {
  const found = span(log ? values.map((v) => (v > 0 ? Math.log10(v) : null)) : values);
  if (!found) return {};
  let [lo, hi] = found;
  if (lo === hi) {
    const pad = log ? 0.5 : integer ? 1 : Math.abs(lo) / 10 || 0.5;
    [lo, hi] = [lo - pad, hi + pad];
  }
  if (!log) return { tickmode: "array", ...linearTicks(lo, hi, { integer }) };
  const { tickvals, ticktext } = logTicks(lo, hi, { integer });
  return { tickmode: "array", tickvals: tickvals.map((t) => Number((10 ** t).toPrecision(12))), ticktext };
}
