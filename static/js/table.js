// Pure: the trial table's columns, filter, sort, pages and exports (no DOM here).
export const PAGE_SIZE = 50;
export const STATES = ["complete", "failed", "pruned", "running", "waiting"];

const FIXED = ["#", "search", "state", "value", "duration (s)", "note"];

// A parameter's header: its name, unless a fixed or metric column has that name (a CSV with
// two "value" columns could not be read back).
function paramLabel(name) {
  return FIXED.includes(name) || name.startsWith("metric ") ? `${name} (parameter)` : name;
}

// One column per field a person may sort by: fixed ones, then params, then metrics, then the
// trials' notes when some trial has one (`withNotes`).
export function tableColumns(paramNames, metricNames, withNotes = false) {
  const notes = withNotes ? [{ key: "note", label: "note", get: (t) => t.note ?? null }] : [];
  return [
    { key: "number", label: "#", get: (t) => t.number },
    { key: "search", label: "search", get: (t) => t.searchId },
    { key: "state", label: "state", get: (t) => t.state },
    { key: "value", label: "value", get: (t) => t.value },
    { key: "duration", label: "duration (s)", get: (t) => t.duration ?? null },
    ...paramNames.map((name) => ({
      key: `param:${name}`,
      label: paramLabel(name),
      get: (t) => t.params[name] ?? null,
    })),
    ...metricNames.map((name) => ({
      key: `metric:${name}`,
      label: `metric ${name}`,
      get: (t) => (t.metrics || {})[name] ?? null,
    })),
    ...notes,
  ];
}

function haystack(trial) {
  const parts = [trial.state, ...Object.entries(trial.params).map(([k, v]) => `${k}=${v}`)];
  if (trial.note) parts.push(trial.note);
  return parts.join(" ").toLowerCase();
}

// Keep the trials whose state matches `state` (any when empty) and whose state, "name=value"
// params or note contain every word of `text`, ignoring case.
export function filterTrials(trials, { text = "", state = "" } = {}) {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  return trials.filter((t) => (!state || t.state === state) && words.every((w) => haystack(t).includes(w)));
}

// Numbers before text, missing values last whichever the direction.
export function compareValues(a, b) {
  const missing = (v) => v === null || v === undefined;
  if (missing(a) || missing(b)) return missing(a) - missing(b);
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function sortTrials(trials, column, descending = false) {
  const missing = (v) => v === null || v === undefined;
  return [...trials].sort((p, q) => {
    const a = column.get(p);
    const b = column.get(q);
    if (missing(a) || missing(b)) return compareValues(a, b);
    const order = compareValues(a, b) * (descending ? -1 : 1);
    return order || p.id - q.id;
  });
}

export function pageCount(n, size = PAGE_SIZE) {
  return Math.max(1, Math.ceil(n / size));
}

export function pageOf(rows, page, size = PAGE_SIZE) {
  return rows.slice(page * size, (page + 1) * size);
}

// Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice).
function csvField(v) {
  if (v === null || v === undefined) return "";
  let s = typeof v === "object" ? JSON.stringify(v) : String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// RFC 4180: a header line, then one line per trial; missing values are empty fields.
export function toCSV(trials, columns) {
  const lines = [columns.map((c) => csvField(c.label))];
  for (const t of trials) lines.push(columns.map((c) => csvField(c.get(t))));
  return lines.map((fields) => fields.join(",")).join("\r\n") + "\r\n";
}

export function toJSON(trials) {
  const rows = trials.map((t) => ({
    id: t.id,
    search_id: t.searchId,
    number: t.number,
    state: t.state,
    value: t.value,
    duration: t.duration ?? null,
    params: t.params,
    metrics: t.metrics || {},
    ...(t.note ? { note: t.note } : {}), // as the API's export: only when there is one
  }));
  return JSON.stringify(rows, null, 2);
}
