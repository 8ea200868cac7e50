// The page's copy of an experiment's trials, kept current from columnar "since" updates.
function column(columns, i) {
  const out = {};
  for (const [name, values] of Object.entries(columns)) {
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
  }

  // Merge a TrialColumns answer; returns how many trials were new or changed.
  merge(columns) {
    const metrics = columns.metrics || {};
    for (let i = 0; i < columns.id.length; i += 1) {
      this.byId.set(columns.id[i], {
        id: columns.id[i],
        searchId: columns.search_id[i],
        number: columns.number[i],
        state: columns.state[i],
        value: columns.value[i],
        params: column(columns.params, i),
        metrics: column(metrics, i),
        duration: columns.duration ? columns.duration[i] : null,
      });
    }
    this.cursor = Math.max(this.cursor, columns.cursor);
    if (columns.id.length) {
      this.version += 1;
      this.list = null;
    }
    return columns.id.length;
  }

  // The trials (one shared array: callers must not modify it).
  all() {
    if (this.list === null) this.list = Array.from(this.byId.values());
    return this.list;
  }
}

// Names of the metrics that hold a number for at least one trial, sorted.
export function metricNames(trials) {
  const names = new Set();
  for (const t of trials) {
    for (const [k, v] of Object.entries(t.metrics || {})) if (typeof v === "number") names.add(k);
  }
  return [...names].sort();
}
