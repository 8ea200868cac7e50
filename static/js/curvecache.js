// Pure: the learning curves the page has fetched, by trial id. A curve is fetched again until its
// trial has finished (it may still report); after that it never changes and is kept.
const FINAL = new Set(["complete", "failed", "pruned"]);

export class CurveCache {
  // `fetchCurves(ids)` resolves to [{trial_id, steps, values}].
  constructor(fetchCurves) {
    this.fetchCurves = fetchCurves;
    this.curves = new Map(); // trial id -> {trial_id, steps, values, final}
  }

  get(id) {
    return this.curves.get(id);
  }

  // The ids of `trials` whose curve is not known to be final.
  missing(trials) {
    return trials.filter((t) => !(this.curves.get(t.id) || {}).final).map((t) => t.id);
  }

  // Fetch the missing curves of `trials`; rejects as the fetch does (what was held stays).
  async load(trials) {
    const missing = this.missing(trials);
    if (!missing.length) return;
    const byId = new Map(trials.map((t) => [t.id, t]));
    for (const c of await this.fetchCurves(missing)) {
      const trial = byId.get(c.trial_id);
      this.curves.set(c.trial_id, { ...c, final: Boolean(trial && FINAL.has(trial.state)) });
    }
  }
}
