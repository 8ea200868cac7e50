// Pure: how the page writes numbers, times and user text (no DOM).

function scientific(v) {
  const [mantissa, exponent] = v.toExponential(3).split("e");
  return `${Number(mantissa)}e${exponent}`;
}

// The page's one number format, for parameter values, axis ticks, hover texts, tables and the
// region panel: at most 4 significant digits, without trailing zeros, in scientific notation
// below 1e-3 or from 1e5 on ("0.0125", "2.574e-4", "1e-6", "1.5e+5"); never SI suffixes ("10µ").
// Whole numbers are never rounded: 123456 stays as it is, 200000 is "2e+5".
export function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return Math.abs(v) >= 1e5 && Number(scientific(v)) === v ? scientific(v) : String(v);
  if (!Number.isFinite(v)) return String(v);
  // By the magnitude after rounding: 0.00099996 is "0.001", 99999.7 is "1e+5".
  const a = Math.abs(Number(v.toPrecision(4)));
  return a < 1e-3 || a >= 1e5 ? scientific(v) : String(Number(v.toPrecision(4)));
}

// A difference with its sign ("+0.2", "-0.1"; "–" for none): a gain, where + is better.
export function signed(v) {
  if (v === null || v === undefined) return "–";
  return (v > 0 ? "+" : "") + fmt(v);
}

// Plotly treats text as a small subset of HTML: escape what users typed before handing it over.
export function escapeHtml(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// Seconds between two ISO times, or null when either is missing.
export function durationSeconds(startedAt, finishedAt) {
  if (!startedAt || !finishedAt) return null;
  return (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
}

// A timestamp as "YYYY-MM-DD HH:MM:SS UTC", or "–".
export function timeText(iso) {
  if (!iso) return "–";
  return `${new Date(iso).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}
