// The page's copy of an experiment's trials, kept current from columnar "since" updates.
export class TrialStore {
  constructor() {
    this.byId = new Map();
    this.cursor = 0;
  }

  // Merge a TrialColumns answer; returns how many trials were new or changed.
  merge(columns) {
    const names = Object.keys(columns.params);
    for (let i = 0; i < columns.id.length; i += 1) {
      const params = {};
      for (const name of names) {
        const v = columns.params[name][i];
        if (v !== null && v !== undefined) params[name] = v;
      }
      this.byId.set(columns.id[i], {
        id: columns.id[i],
        searchId: columns.search_id[i],
        number: columns.number[i],
        state: columns.state[i],
        value: columns.value[i],
        params,
      });
    }
    this.cursor = Math.max(this.cursor, columns.cursor);
    return columns.id.length;
  }

  all() {
    return Array.from(this.byId.values());
  }
}
