// The page's copy of an experiment's trials, kept current from columnar "since" updates.
// A merge costs what changed, never what the page already holds: polling a 100,000-trial
// experiment that did not move does no work per trial.

// The trial at row `i` of a group of columns (params or metrics), without its missing values.
function row(entries, i) {
  const out = {};
  for (const [name, values] of entries) {
    const v = values[i];
    if (v !== null && v !== undefined) out[name] = v;
  }
  return out;
}

export class TrialStore {
  constructor() {
    this.byId = new Map();
    this.cursor = 0;
    this.version = 0; // bumped by every merge that changed something
    this.list = null; // all() until the next change
    this.metrics = new Set(); // names of the metrics that held a number for some trial
    this.noted = new Set(); // ids of the trials that have a note
  }

  // Merge a TrialColumns answer; returns how many trials were new or changed. A trial of the
  // answer has the note `notes` gives it, or none (notes are sparse: trial id -> text).
  merge(columns) {
    const params = Object.entries(columns.params);
    const metrics = Object.entries(columns.metrics || {});
    const notes = columns.notes || {};
    const { id, search_id: searchId, number, state, value, duration } = columns;
    for (let i = 0; i < id.length; i += 1) {
      const note = Object.hasOwn(notes, id[i]) ? notes[id[i]] : null;
      if (note === null) this.noted.delete(id[i]);
      else this.noted.add(id[i]);
      this.byId.set(id[i], {
        id: id[i],
        searchId: searchId[i],
        number: number[i],
        state: state[i],
        value: value[i],
        params: row(params, i),
        metrics: metrics.length ? row(metrics, i) : {},
        duration: duration ? duration[i] : null,
        note,
      });
    }
    for (const [name, values] of metrics) {
      if (!this.metrics.has(name) && values.some((v) => typeof v === "number")) this.metrics.add(name);
    }
    this.cursor = Math.max(this.cursor, columns.cursor);
    if (id.length) {
      this.version += 1;
      this.list = null;
    }
    return id.length;
  }

  // The trials (one shared array: callers must not modify it).
  all() {
    if (this.list === null) this.list = Array.from(this.byId.values());
    return this.list;
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

