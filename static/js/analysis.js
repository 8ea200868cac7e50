// The experiment page's analysis views in tabs: best so far, parameter importance, scatter
// matrix, parallel coordinates, learning curves and the comparison of searches (compare.js,
// which adds its own tab) and, for experiments declaring several metrics, their trade-offs
// (paretoview.js, which adds its own tab too). This module puts them on the page: only
// the visible tab is drawn, when its schedule says so (drawschedule.js), from what its view
// module makes of the trials (views/*.js: a note and a figure), and the plots' selections go to
// the page's one selection.
import { CompareView, addCompareTab } from "./compare.js";
import { CurveCache } from "./curvecache.js";
import { ParetoView, addParetoTab } from "./paretoview.js";
import { DrawSchedule } from "./drawschedule.js";
import { importance } from "./importance.js";
import { currentAxes } from "./pickers.js";
import { idsOfEvent } from "./selection.js";
import { Tabs } from "./tabs.js";
import { curveTrials, curvesTab } from "./views/curves.js";
import { historyTab } from "./views/history.js";
import { importanceTab } from "./views/importancebars.js";
import { brushConstraints, brushedIds, parcoordsTab } from "./views/parcoords.js";
import { splomTab } from "./views/splom.js";

export const VIEWS = ["history", "importance", "splom", "parcoords", "curves", "compare", "pareto"];
const CONFIG = { displaylogo: false, responsive: true };

export class AnalysisViews {
  // `root` holds the tabs and panels (see experiment_detail.html); `fetchCurves(ids)` resolves
  // to [{trial_id, steps, values}]; `onView(name)` hears the active tab (for the URL).
  constructor(root, { selection, fetchCurves, onView, view = "history" }) {
    this.selection = selection;
    this.onView = onView;
    addCompareTab(root);
    addParetoTab(root);
    this.tabs = new Tabs(root, { views: VIEWS, active: view, onSelect: (name) => this.shown(name) });
    const page = root.closest("[data-experiment-id]");
    const panel = this.tabs.panel("compare");
    this.comparer = page && panel
      ? new CompareView(panel, {
          lineageUrl: `${page.dataset.api}/experiments/${page.dataset.experimentId}/lineage`,
          onPick: () => this.render(),
        })
      : null; // a page without the experiment (or without tabs) has no compare view
    const front = this.tabs.panel("pareto");
    this.tradeoffs = page && front
      ? new ParetoView(front, {
          paretoUrl: `${page.dataset.api}/experiments/${page.dataset.experimentId}/pareto`,
          onPick: () => this.render(),
        })
      : null;
    this.schedule = new DrawSchedule();
    this.curveCache = new CurveCache(fetchCurves);
    this.ctx = null;
    this.ranked = null; // {key, ranking}: the importance of the trials shown
    this.constraints = {}; // the parallel coordinates' brushes, by dimension key
    this.lines = null; // {rows, dims}: what the parallel coordinates draw, for their brushes
    this.wired = new Set();
    selection.subscribe(() => {
      if (!selection.madeBy("parcoords")) this.constraints = {};
      this.render();
    });
  }

  get active() {
    return this.tabs.active;
  }

  // ctx: {trials (the visible ones), version (of the page's trials), filter (which of them
  // are visible), space, objective, direction, searches, visible (search ids or null), search
  // (the search filter: its id or null), metrics (the declared ones, or null)}.
  update(ctx) {
    this.ctx = ctx;
    this.offerPareto((ctx.metrics || []).length >= 2);
    this.render();
  }

  // The trade-offs tab is there only for two metrics or more; a link to it on an experiment
  // without them shows the first view.
  offerPareto(offered) {
    const tab = this.tabs.root.querySelector("#tab-pareto");
    if (!tab || !this.tradeoffs) return;
    tab.hidden = !offered;
    if (!offered && this.active === "pareto") this.tabs.select(VIEWS[0]);
  }

  shown(view) {
    if (this.onView) this.onView(view);
    this.render();
    // The window may have changed while the tab was hidden.
    for (const plot of this.tabs.panel(view).querySelectorAll(".js-plotly-plot")) window.Plotly.Plots.resize(plot);
  }

  render() {
    if (!this.ctx) return;
    const view = this.active;
    // A view that made the selection already shows it: redrawing would only drop its marks.
    const sel = this.selection.madeBy(view) ? "own" : this.selection.version;
    // The compare tab shows no selection; it shows a pair of searches on the scatter's axes.
    const by = {
      history: "",
      importance: "",
      compare: () => this.comparer?.key(currentAxes()),
      pareto: () => `${this.tradeoffs?.key()}|${sel}`,
    }[view] ?? sel;
    const shownFor = `${this.ctx.filter}|${typeof by === "function" ? by() : by}`;
    const next = this.schedule.next(view, this.ctx.version, shownFor);
    if (next.skip) return;
    if (next.wait) return this.schedule.later(next.wait, () => this.render()); // only new trials
    const finished = this.schedule.start(view, this.ctx.version, shownFor);
    // The curves view is async: one catch for both kinds.
    Promise.resolve()
      .then(() => this[view]())
      .then(finished)
      .catch((error) => this.note(view, `Could not draw this view: ${error.message}`, true));
  }

  note(view, text, isError = false) {
    const el = this.tabs.panel(view).querySelector(".view-note");
    el.textContent = text;
    el.hidden = !text;
    el.classList.toggle("error", isError);
  }

  // Show what a view module made: its note, and its figure (none: the plot is cleared).
  put(view, { note, figure }) {
    this.note(view, note);
    const el = this.tabs.panel(view).querySelector(".view-plot");
    if (!figure) {
      window.Plotly.purge(el);
      return;
    }
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
    if (view === "pareto") {
      el.on("plotly_selected", (event) => {
        if (event && event.points) this.selection.set(idsOfEvent(event, el.data), "pareto");
      });
      el.on("plotly_deselect", () => this.selection.madeBy("pareto") && this.selection.clear());
    }
  }

  ranking() {
    const key = `${this.ctx.version}|${this.ctx.filter}`;
    if (!this.ranked || this.ranked.key !== key) {
      this.ranked = { key, ranking: importance(this.ctx.trials, this.ctx.space) };
    }
    return this.ranked.ranking;
  }

  // One method per view, by its name: what the schedule draws.
  history() {
    this.put("history", historyTab(this.ctx));
  }

  importance() {
    this.put("importance", importanceTab(this.ranking()));
  }

  splom() {
    this.put("splom", splomTab({ ...this.ctx, ranking: this.ranking(), selected: this.selection.ids }));
  }

  parcoords() {
    const ids = this.selection.ids;
    const selected = this.selection.madeBy("parcoords") ? null : ids;
    const tab = parcoordsTab({ ...this.ctx, constraints: this.constraints, keep: ids, selected });
    if (tab.lines) this.lines = tab.lines;
    this.put("parcoords", tab);
  }

  // A brush changed: read every axis's range back from plotly and select what is inside.
  brushed(el) {
    const { rows, dims } = this.lines;
    this.constraints = brushConstraints(el.data[0].dimensions, dims);
    const ids = brushedIds(rows, dims, this.constraints);
    if (ids === null) {
      if (this.selection.madeBy("parcoords")) this.selection.clear();
    } else {
      this.selection.set(ids, "parcoords");
    }
  }

  async curves() {
    const { trials, direction, objective } = this.ctx;
    const picked = curveTrials(trials, direction, this.selection.ids);
    if (!picked.length) {
      this.put("curves", { note: "No finished trials yet.", figure: null });
      return;
    }
    if (this.curveCache.missing(picked).length) {
      const signature = this.schedule.signature("curves");
      this.note("curves", "Loading learning curves…");
      try {
        await this.curveCache.load(picked);
      } catch (error) {
        this.schedule.forget("curves"); // try again on the next update
        this.note("curves", `Could not load the learning curves: ${error.message}`, true);
        return;
      }
      if (this.schedule.signature("curves") !== signature) return; // a newer draw is under way
    }
    this.put("curves", curvesTab({ picked, curves: this.curveCache, selected: this.selection.ids, objective }));
  }

  // The lineage is fetched when the trials or the searches changed, then all is drawn; a draw
  // that finds a newer one under way when its answer comes leaves the drawing to that one.
  async compare() {
    if (!this.comparer) return;
    const signature = this.schedule.signature("compare");
    let lineage;
    try {
      lineage = await this.comparer.load(this.ctx);
    } catch (error) {
      this.schedule.forget("compare"); // try again on the next update
      throw error;
    }
    if (this.schedule.signature("compare") !== signature) return;
    this.note("compare", this.comparer.draw(this.ctx, lineage, currentAxes()));
  }

  // The front is fetched when the trials or the search filter changed, then drawn; as compare.
  async pareto() {
    if (!this.tradeoffs) return;
    const signature = this.schedule.signature("pareto");
    let front;
    try {
      front = await this.tradeoffs.load(this.ctx);
    } catch (error) {
      this.schedule.forget("pareto"); // try again on the next update
      throw error;
    }
    if (this.schedule.signature("pareto") !== signature) return;
    this.put("pareto", this.tradeoffs.tab(this.ctx, front, this.selection.ids));
  }
}
