// The page's one selection of trials. A view that selects (box or lasso in the scatter or the
// matrix, a brush on the parallel coordinates) publishes it here; every view and the trial
// table subscribe and highlight the same trials.
function sameIds(a, b) {
  if (a === null || b === null) return a === b;
  if (a.size !== b.size) return false;
  for (const id of a) if (!b.has(id)) return false;
  return true;
}

export class Selection {
  constructor() {
    this.ids = null; // a Set of trial ids, or null when nothing is selected
    this.source = null; // the view that made it: "scatter", "splom", "parcoords"
    this.version = 0;
    this.listeners = [];
  }

  // Select `ids` (any iterable) on behalf of `source`; null clears. Plotly echoes selections
  // back when a figure is redrawn, so an unchanged selection notifies nobody.
  set(ids, source) {
    const next = ids === null ? null : new Set(ids);
    if (sameIds(next, this.ids) && (next === null || source === this.source)) return;
    this.ids = next;
    this.source = next === null ? null : source;
    this.version += 1;
    for (const listener of this.listeners) listener(this);
  }

  clear() {
    this.set(null, null);
  }

  // The selection if `source` made it, so that view leaves its own marks alone.
  madeBy(source) {
    return this.ids !== null && this.source === source;
  }

  subscribe(listener) {
    this.listeners.push(listener);
  }
}

// Plotly's selection event -> trial ids, through each trace's `customdata` (trial ids).
export function idsOfEvent(event, data) {
  if (!event || !Array.isArray(event.points)) return [];
  const ids = [];
  for (const p of event.points) {
    const trace = data[p.curveNumber];
    const i = p.pointIndex ?? p.pointNumber;
    if (trace && trace.customdata && trace.customdata[i] !== undefined) ids.push(trace.customdata[i]);
  }
  return ids;
}

// Indices of a trace's points that are selected, for plotly's `selectedpoints`.
export function selectedIndices(ids, selected) {
  const out = [];
  for (let i = 0; i < ids.length; i += 1) if (selected.has(ids[i])) out.push(i);
  return out;
}
