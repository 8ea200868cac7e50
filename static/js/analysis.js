// The experiment page's analysis views in tabs: best so far, parameter importance, scatter
// matrix, parallel coordinates and learning curves. Only the visible tab is drawn, and only
// when its trials or the selection changed since it was last drawn.
import { historyFigure } from "./history.js";
import { importance } from "./importance.js";
import { hoverOf, searchLabel } from "./scatter.js";
import { idsOfEvent } from "./selection.js";
import { curveTrials, curvesFigure } from "./views/curves.js";
import { bestLast, thin } from "./views/dimensions.js";
import { importanceFigure } from "./views/importance.js";
import { brushedIds, parcoordsDimensions, parcoordsFigure } from "./views/parcoords.js";
import { matrixParams, splomFigure } from "./views/splom.js";

export const VIEWS = ["history", "importance", "splom", "parcoords", "curves"];
const CONFIG = { displaylogo: false, responsive: true };
const FINAL = new Set(["complete", "failed", "pruned"]);
// A view that took longer than SLOW_MS to draw is redrawn for new trials at most once per
// COOLDOWN times its drawing time, so a live 100,000-trial search does not keep the page busy.
const SLOW_MS = 300;
const COOLDOWN = 10;

function finished(trials) {
  return trials.filter((t) => t.state === "complete" && typeof t.value === "number" && Number.isFinite(t.value));
}

export class AnalysisViews {
  // `root` holds the tabs and panels (see experiment_detail.html); `fetchCurves(ids)` resolves
  // to [{trial_id, steps, values}]; `onView(name)` hears the active tab (for the URL).
  constructor(root, { selection, fetchCurves, onView, view = "history" }) {
    this.root = root;
    this.selection = selection;
    this.fetchCurves = fetchCurves;
    this.onView = onView;
    this.active = VIEWS.includes(view) ? view : "history";
    this.drawn = {}; // view -> signature of what it shows
    this.shownFor = {}; // view -> the filter and selection it was drawn for
    this.timing = {}; // view -> {at, took} of its last draw (ms)
    this.pending = null; // a timer for a redraw put off by the cooldown
    this.ctx = null;
    this.ranked = null; // {key, ranking}: the importance of the trials shown
    this.constraints = {}; // the parallel coordinates' brushes, by dimension key
    this.curveCache = new Map(); // trial id -> {steps, values, final}
    this.wired = new Set();
    this.tabs = [...root.querySelectorAll('[role="tab"]')];
    this.tabs.forEach((tab, i) => {
      tab.addEventListener("click", () => this.show(tab.dataset.view));
      tab.addEventListener("keydown", (event) => this.onKey(event, i));
    });
    selection.subscribe(() => {
      if (!selection.madeBy("parcoords")) this.constraints = {};
      this.render();
    });
    this.markTabs();
  }

  // Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern).
  onKey(event, i) {
    const n = this.tabs.length;
    const to = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    this.tabs[to].focus();
    this.show(this.tabs[to].dataset.view);
  }

  markTabs() {
    for (const tab of this.tabs) {
      const on = tab.dataset.view === this.active;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      this.panel(tab.dataset.view).hidden = !on;
    }
  }

  panel(view) {
    return this.root.querySelector(`[role="tabpanel"][data-view="${view}"]`);
  }

  show(view) {
    if (!VIEWS.includes(view) || view === this.active) return;
    this.active = view;
    this.markTabs();
    if (this.onView) this.onView(view);
    this.render();
    const plot = this.panel(view).querySelector(".js-plotly-plot");
    if (plot) window.Plotly.Plots.resize(plot); // the window may have changed while hidden
  }

  // ctx: {trials (the visible ones), version (of the page's trials), filter (which of them
  // are visible), space, objective, direction, searches, visible (search ids or null)}.
  update(ctx) {
    this.ctx = ctx;
    this.render();
  }

  note(view, text, isError = false) {
    const el = this.panel(view).querySelector(".view-note");
    el.textContent = text;
    el.hidden = !text;
    el.classList.toggle("error", isError);
  }

  render() {
    if (!this.ctx) return;
    const view = this.active;
    // A view that made the selection already shows it: redrawing would only drop its marks.
    const sel = this.selection.madeBy(view) ? "own" : this.selection.version;
    const shownFor = `${this.ctx.filter}|${view === "history" || view === "importance" ? "" : sel}`;
    const signature = `${this.ctx.version}|${shownFor}`;
    if (this.drawn[view] === signature) return;
    const last = this.timing[view];
    if (last && this.shownFor[view] === shownFor && last.took > SLOW_MS) {
      const wait = last.at + COOLDOWN * last.took - performance.now();
      if (wait > 0) return this.later(wait); // only new trials: they can wait a little
    }
    this.drawn[view] = signature;
    this.shownFor[view] = shownFor;
    const t0 = performance.now();
    // The curves view is async: one catch for both kinds.
    Promise.resolve()
      .then(() => this[view]())
      .then(() => {
        this.timing[view] = { at: performance.now(), took: performance.now() - t0 };
      })
      .catch((error) => this.note(view, `Could not draw this view: ${error.message}`, true));
  }

  later(wait) {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      this.render();
    }, wait);
  }

  ranking() {
    const key = `${this.ctx.version}|${this.ctx.filter}`;
    if (!this.ranked || this.ranked.key !== key) {
      this.ranked = { key, ranking: importance(this.ctx.trials, this.ctx.space) };
    }
    return this.ranked.ranking;
  }

  plot(view, el, figure) {
    window.Plotly.react(el, figure.data, figure.layout, CONFIG);
    if (this.wired.has(view)) return;
    this.wired.add(view);
    if (view === "splom") {
      el.on("plotly_selected", (event) => {
        if (event && event.points) this.selection.set(idsOfEvent(event, el.data), "splom");
      });
      el.on("plotly_deselect", () => this.selection.madeBy("splom") && this.selection.clear());
    }
    if (view === "parcoords") el.on("plotly_restyle", () => this.brushed(el));
  }

  history() {
    const { trials, searches, visible, direction, objective } = this.ctx;
    const figure = historyFigure({ trials, searches, visible, direction, objective });
    this.note("history", figure.data.length ? "" : "No finished trials yet.");
    this.plot("history", this.panel("history").querySelector(".view-plot"), figure);
  }

  importance() {
    const ranking = this.ranking();
    const el = this.panel("importance").querySelector(".view-plot");
    if (!ranking.some((r) => r.score !== null)) {
      this.note("importance", "Needs at least 8 finished trials to rank the parameters.");
      window.Plotly.purge(el);
      return;
    }
    const n = Math.max(...ranking.map((r) => r.n));
    const rough = n < 30 ? " With this few, the ranking is rough: chance alone can score a parameter." : "";
    const none = ranking.every((r) => !r.score) ? " No parameter stands out from chance." : "";
    const bars = " Each bar is a parameter's share of the importance of them all; hover for what it explains alone.";
    this.note("importance", `From ${n} finished trials.${none}${rough}${bars}`);
    this.plot("importance", el, importanceFigure(ranking));
  }

  // The finished trials, evenly thinned past MAX_LINES (the selected ones always kept).
  sample() {
    const all = finished(this.ctx.trials);
    const shown = bestLast(thin(all, undefined, this.selection.ids), this.ctx.direction);
    const thinned = shown.length < all.length ? ` Showing ${shown.length} of ${all.length} trials, evenly thinned.` : "";
    return { shown, thinned, enough: shown.length >= 2 };
  }

  splom() {
    const { shown, thinned, enough } = this.sample();
    const el = this.panel("splom").querySelector(".view-plot");
    if (!enough) {
      this.note("splom", "Needs at least 2 finished trials.");
      window.Plotly.purge(el);
      return;
    }
    const { space, objective, direction, searches } = this.ctx;
    const labels = new Map(searches.map((s) => [s.id, searchLabel(s)]));
    const params = matrixParams(this.ranking(), space);
    const figure = splomFigure({
      trials: shown,
      space,
      params,
      objective,
      direction,
      selected: this.selection.ids,
      hover: (t) => hoverOf(t, labels.get(t.searchId)),
    });
    this.note("splom", `The ${params.length} most important parameters against the objective.${thinned}`);
    this.plot("splom", el, figure);
  }

  parcoords() {
    const { shown, thinned, enough } = this.sample();
    const el = this.panel("parcoords").querySelector(".view-plot");
    if (!enough) {
      this.note("parcoords", "Needs at least 2 finished trials.");
      window.Plotly.purge(el);
      return;
    }
    const { space, objective, direction } = this.ctx;
    const { rows, dims } = parcoordsDimensions(shown, space, objective);
    this.lines = { rows, dims };
    const selected = this.selection.madeBy("parcoords") ? null : this.selection.ids;
    const figure = parcoordsFigure({ rows, dims, objective, direction, constraints: this.constraints, selected });
    this.note("parcoords", `Drag along an axis to select a range; click it to clear.${thinned}`);
    this.plot("parcoords", el, figure);
  }

  // A brush changed: read every axis's range back from plotly and select what is inside.
  brushed(el) {
    const { rows, dims } = this.lines;
    const constraints = {};
    el.data[0].dimensions.forEach((d, i) => {
      if (d.constraintrange && dims[i]) constraints[dims[i].key] = d.constraintrange;
    });
    this.constraints = constraints;
    const ids = brushedIds(rows, dims, constraints);
    if (ids === null) {
      if (this.selection.madeBy("parcoords")) this.selection.clear();
    } else {
      this.selection.set(ids, "parcoords");
    }
  }

  async curves() {
    const { trials, direction, objective } = this.ctx;
    const picked = curveTrials(trials, direction, this.selection.ids);
    const el = this.panel("curves").querySelector(".view-plot");
    if (!picked.length) {
      this.note("curves", "No finished trials yet.");
      window.Plotly.purge(el);
      return;
    }
    const missing = picked.filter((t) => !(this.curveCache.get(t.id) || {}).final).map((t) => t.id);
    const signature = this.drawn.curves;
    if (missing.length) {
      this.note("curves", "Loading learning curves…");
      try {
        const byId = new Map(picked.map((t) => [t.id, t]));
        for (const c of await this.fetchCurves(missing)) {
          const trial = byId.get(c.trial_id);
          this.curveCache.set(c.trial_id, { ...c, final: Boolean(trial && FINAL.has(trial.state)) });
        }
      } catch (error) {
        this.drawn.curves = null; // try again on the next update
        this.note("curves", `Could not load the learning curves: ${error.message}`, true);
        return;
      }
      if (this.drawn.curves !== signature) return; // a newer draw is under way
    }
    const figure = curvesFigure({ trials: picked, curves: this.curveCache, selected: this.selection.ids, objective });
    if (!figure.data.length) {
      this.note("curves", "These trials reported no intermediate values.");
      window.Plotly.purge(el);
      return;
    }
    let what = "the best trials";
    const ids = this.selection.ids;
    if (ids) {
      const shown = picked.filter((t) => ids.has(t.id)).length;
      what += shown < ids.size ? ` and the best ${shown} of the ${ids.size} selected (orange)` : " and the selected ones (orange)";
    }
    this.note("curves", `Intermediate values of ${what}.`);
    this.plot("curves", el, figure);
  }
}
