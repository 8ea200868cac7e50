// The page's copy of an experiment's trials, kept current from columnar "since" updates.
// A merge costs what changed, never what the page already holds: polling a 100,000-trial
// experiment that did not move does no work per trial.

import { cellReader, holdsNumber } from "./columns.js";

// The trial at row `i` of a group of columns (params or metrics: [name, cell reader] pairs),
// without its missing values.
function row(readers, i) {
  const out = {};
  for (const [name, cell] of readers) {
    const v = cell(i);
    if (v !== null && v !== undefined) out[name] = v;
  }
  return out;
}

const readers = (named) => Object.entries(named || {}).map(([name, values]) => [name, cellReader(values)]);

export class TrialStore {
  constructor() {
    this.byId = new Map();
    this.cursor = 0;
    this.version = 0; // bumped by every merge that changed something
    this.list = null; // all() until the next change
    this.metrics = new Set(); // names of the metrics that held a number for some trial
    this.noted = new Set(); // ids of the trials that have a note
  }

  // Merge a TrialColumns answer, JSON or binary (columns.js: typed arrays, dictionary codes);
  // returns how many trials were new or changed. A trial of the answer has the note `notes`
  // gives it, or none (notes are sparse: trial id -> text).
  merge(columns) {
    const params = readers(columns.params);
    const metrics = readers(columns.metrics);
    const notes = columns.notes || {};
    const id = cellReader(columns.id);
    const searchId = cellReader(columns.search_id);
    const number = cellReader(columns.number);
    const state = cellReader(columns.state);
    const value = cellReader(columns.value);
    const duration = columns.duration ? cellReader(columns.duration) : () => null;
    const n = columns.id.length;
    for (let i = 0; i < n; i += 1) {
      const trialId = id(i);
      const note = Object.hasOwn(notes, trialId) ? notes[trialId] : null;
      if (note === null) this.noted.delete(trialId);
      else this.noted.add(trialId);
      this.byId.set(trialId, {
        id: trialId,
        searchId: searchId(i),
        number: number(i),
        state: state(i),
        value: value(i),
        params: row(params, i),
        metrics: metrics.length ? row(metrics, i) : {},
        duration: duration(i),
        note,
      });
    }
    for (const [name, values] of Object.entries(columns.metrics || {})) {
      if (!this.metrics.has(name) && holdsNumber(values)) this.metrics.add(name);
    }
    this.cursor = Math.max(this.cursor, columns.cursor);
    if (n) {
      this.version += 1;
      this.list = null;
    }
    return n;
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

