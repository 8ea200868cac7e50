// The page's copy of an experiment's trials, kept current from columnar "since" updates, and
// kept as columns: a merge writes the answer's typed arrays into the store's (one Float64Array
// or one array of dictionary codes per field), so a million trials are a few dozen megabytes
// of arrays, not a million objects. The scatter plot reads the columns (columns()); a trial
// object, for the table, the views, a hover or a selection, is built when first asked for
// (trialAt, all, build) and kept until that trial changes.
// A merge costs what changed, never what the page already holds: polling a 100,000-trial
// experiment that did not move does no work per trial.

import { holdsNumber } from "./columns.js";

// The fields every trial has: the store's name, the answer's.
const FIELDS = [
  ["id", "id"],
  ["searchId", "search_id"],
  ["number", "number"],
  ["state", "state"],
  ["value", "value"],
  ["duration", "duration"],
];

// Dictionary values are told apart by type: 1, "1" and true are three values.
const keyOf = (v) => (v !== null && typeof v === "object" ? `o${JSON.stringify(v)}` : `${(typeof v)[0]}${v}`);

// A store column: {numbers: Float64Array, NaN for null} while every cell written was a number
// or null, else {codes: Int32Array, values, index}: cell r is values[codes[r]], -1 for null.
// Either holds `capacity` cells, of which the store's first `n` are trials.
function numberColumn(capacity) {
  return { numbers: new Float64Array(capacity).fill(NaN) };
}

function codeColumn(capacity) {
  return { codes: new Int32Array(capacity).fill(-1), values: [], index: new Map() };
}

function codeOf(column, v) {
  if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return -1;
  const key = keyOf(v);
  let code = column.index.get(key);
  if (code === undefined) {
    code = column.values.length;
    column.values.push(v);
    column.index.set(key, code);
  }
  return code;
}

// A number column turned into codes, when a cell that is no number arrives.
function toCodes(column, n) {
  const out = codeColumn(column.numbers.length);
  for (let r = 0; r < n; r += 1) out.codes[r] = codeOf(out, column.numbers[r]);
  return out;
}

function grown(column, capacity) {
  if (column.numbers) {
    const numbers = new Float64Array(capacity).fill(NaN);
    numbers.set(column.numbers);
    return { numbers };
  }
  const codes = new Int32Array(capacity).fill(-1);
  codes.set(column.codes);
  return { ...column, codes };
}

// Whether an answer's column holds numbers only: a typed array, or a JSON array of numbers
// and nulls (dictionary codes never count, even of numbers).
const numeric = (incoming) =>
  ArrayBuffer.isView(incoming) || (Array.isArray(incoming) && incoming.every((v) => v === null || typeof v === "number"));

// Write an answer's column into a store column at `rows` (store row of each answer row), or at
// `start`, `start + 1`, … when rows is null. Returns the column (a new one when it had to turn
// into codes).
function write(column, incoming, rows, start, n) {
  let out = column;
  if (out.numbers && !numeric(incoming)) out = toCodes(out, n);
  const m = rows ? rows.length : incoming.codes ? incoming.codes.length : incoming.length;
  const at = (i) => (rows ? rows[i] : start + i);
  if (out.numbers) {
    if (!rows && ArrayBuffer.isView(incoming)) out.numbers.set(incoming, start);
    else for (let i = 0; i < m; i += 1) out.numbers[at(i)] = incoming[i] ?? NaN;
    return out;
  }
  if (incoming.codes) {
    const remap = incoming.values.map((v) => codeOf(out, v));
    const same = remap.every((code, i) => code === i);
    if (same && !rows) out.codes.set(incoming.codes, start);
    else for (let i = 0; i < m; i += 1) out.codes[at(i)] = incoming.codes[i] < 0 ? -1 : remap[incoming.codes[i]];
    return out;
  }
  for (let i = 0; i < m; i += 1) out.codes[at(i)] = codeOf(out, incoming[i]);
  return out;
}

function clear(column, rows) {
  for (const r of rows) {
    if (column.numbers) column.numbers[r] = NaN;
    else column.codes[r] = -1;
  }
}

// A store column as columns.js reads one: a typed array (NaN for null) or {codes, values}.
const exposed = (column) => (column.numbers ? column.numbers : { codes: column.codes, values: column.values });

function cell(column, r) {
  if (column.numbers) {
    const v = column.numbers[r];
    return Number.isNaN(v) ? null : v;
  }
  const code = column.codes[r];
  return code < 0 ? null : column.values[code];
}

// The cells of row r of a group of columns (params or metrics), without the missing ones.
function rowOf(group, r) {
  const out = {};
  for (const [name, column] of group) {
    const v = cell(column, r);
    if (v !== null) out[name] = v;
  }
  return out;
}

export class TrialStore {
  constructor() {
    this.n = 0; // trials held, rows 0..n-1 of every column
    this.capacity = 0;
    this.fields = Object.fromEntries(FIELDS.map(([name]) => [name, numberColumn(0)]));
    this.params = new Map(); // name -> column, in the order the answers first named them
    this.metricColumns = new Map();
    this.rows = null; // trial id -> row; built by the first merge that may replace a trial
    this.objects = []; // row -> the trial object built for it (undefined: not built or stale)
    this.objectsBuilt = 0; // how many trial objects were ever built (the page's first plot: none)
    this.notes = new Map(); // trial id -> note (notes are sparse)
    this.cursor = 0;
    this.version = 0; // bumped by every merge that changed something
    this.list = null; // all() until the next change
    this.metrics = new Set(); // names of the metrics that held a number for some trial
    this.noted = new Set(); // ids of the trials that have a note
  }

  get size() {
    return this.n;
  }

  // Room for `n` trials in every column.
  reserve(n) {
    if (n <= this.capacity) return;
    const capacity = this.capacity ? Math.max(n, Math.ceil(this.capacity * 1.5)) : n;
    for (const [name] of FIELDS) this.fields[name] = grown(this.fields[name], capacity);
    for (const group of [this.params, this.metricColumns]) {
      for (const [name, column] of group) group.set(name, grown(column, capacity));
    }
    this.capacity = capacity;
  }

  // The store row of each of the answer's trial ids, new trials appended; null when they are
  // all new and go at the end in order (the first answer: no id map needed).
  rowsFor(ids) {
    const m = ids.length;
    if (this.n === 0 && this.rows === null) {
      this.reserve(m);
      this.n = m;
      return null;
    }
    if (this.rows === null) {
      this.rows = new Map();
      const id = this.fields.id.numbers;
      for (let r = 0; r < this.n; r += 1) this.rows.set(id[r], r);
    }
    const rows = new Int32Array(m);
    let n = this.n;
    for (let i = 0; i < m; i += 1) {
      let r = this.rows.get(ids[i]);
      if (r === undefined) {
        r = n;
        n += 1;
        this.rows.set(ids[i], r);
      }
      rows[i] = r;
    }
    this.reserve(n);
    this.n = n;
    return rows;
  }

  // Merge a TrialColumns answer, JSON or binary (columns.js: typed arrays, dictionary codes);
  // returns how many trials were new or changed. A trial of the answer has the note `notes`
  // gives it, or none (notes are sparse: trial id -> text), and only the params and metrics
  // the answer gives it.
  merge(columns) {
    const m = columns.id.length;
    const notes = columns.notes || {};
    if (m) {
      const start = this.n;
      const rows = this.rowsFor(columns.id);
      for (const [name, key] of FIELDS) {
        const incoming = columns[key] || new Array(m).fill(null);
        this.fields[name] = write(this.fields[name], incoming, rows, start, this.n);
      }
      for (const [group, named] of [[this.params, columns.params || {}], [this.metricColumns, columns.metrics || {}]]) {
        for (const [name, incoming] of Object.entries(named)) {
          const column = group.get(name) || numberColumn(this.capacity);
          group.set(name, write(column, incoming, rows, start, this.n));
        }
        if (rows) for (const [name, column] of group) if (!Object.hasOwn(named, name)) clear(column, rows);
      }
      if (rows) for (const r of rows) this.objects[r] = undefined;
      const ids = columns.id;
      for (let i = 0; i < m; i += 1) {
        const id = ids[i];
        if (Object.hasOwn(notes, id)) {
          this.notes.set(id, notes[id]);
          this.noted.add(id);
        } else if (this.noted.size && this.noted.has(id)) {
          this.notes.delete(id);
          this.noted.delete(id);
        }
      }
      this.version += 1;
      this.list = null;
    }
    for (const [name, values] of Object.entries(columns.metrics || {})) {
      if (!this.metrics.has(name) && holdsNumber(values)) this.metrics.add(name);
    }
    this.cursor = Math.max(this.cursor, columns.cursor);
    return m;
  }

  // The trial at row r, as an object ({id, searchId, number, state, value, params, metrics,
  // duration, note}), built once and kept until the trial changes (then it is a new object:
  // callers may key caches on it).
  trialAt(r) {
    const kept = this.objects[r];
    if (kept !== undefined) return kept;
    const f = this.fields;
    const id = cell(f.id, r);
    const trial = {
      id,
      searchId: cell(f.searchId, r),
      number: cell(f.number, r),
      state: cell(f.state, r),
      value: cell(f.value, r),
      params: rowOf(this.params, r),
      metrics: this.metricColumns.size ? rowOf(this.metricColumns, r) : {},
      duration: cell(f.duration, r),
      note: this.notes.get(id) ?? null,
    };
    this.objects[r] = trial;
    this.objectsBuilt += 1;
    return trial;
  }

  // The trial with this id, or undefined.
  trial(id) {
    if (this.rows === null) this.rowsFor([]); // builds the id map
    const r = this.rows.get(id);
    return r === undefined ? undefined : this.trialAt(r);
  }

  // The trials as objects (one shared array: callers must not modify it); builds those not
  // built yet, all at once (build() does it in slices).
  all() {
    if (this.list === null) {
      const list = new Array(this.n);
      for (let r = 0; r < this.n; r += 1) list[r] = this.trialAt(r);
      this.list = list;
    }
    return this.list;
  }

  // Build every trial's object `slice` at a time, yielding to the page between slices so
  // clicks and keys are handled meanwhile; resolves when all() costs no building.
  async build(slice = 20000) {
    for (let r = 0; r < this.n; r += slice) {
      const end = Math.min(this.n, r + slice);
      for (let i = r; i < end; i += 1) this.trialAt(i);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  // The trials as columns, for the scatter plot: each field as columns.js reads one (a typed
  // array with NaN for null, or {codes, values}), of which rows 0..n-1 are trials, and
  // trial(r), the trial object at row r.
  columns() {
    const f = this.fields;
    const group = (g) => Object.fromEntries([...g].map(([name, column]) => [name, exposed(column)]));
    return {
      n: this.n,
      id: exposed(f.id),
      search_id: exposed(f.searchId),
      number: exposed(f.number),
      state: exposed(f.state),
      value: exposed(f.value),
      duration: exposed(f.duration),
      params: group(this.params),
      metrics: group(this.metricColumns),
      trial: (r) => this.trialAt(r),
    };
  }

  // Whether any trial has a note (the table then shows them).
  hasNotes() {
    return this.noted.size > 0;
  }

  // Names of the metrics that held a number for at least one trial, sorted.
  metricNames() {
    return [...this.metrics].sort();
  }
}
