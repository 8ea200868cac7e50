// The experiment page: load the experiment, keep its trials current, draw the scatter plot,
// and drive the parts of the page: the trial table, the analysis views, the notes (of the
// experiment and of a search, notes.js) and the region panel (regionpanel.js), which turns a
// box drawn on the plot into a refinement. The page calls into its parts; they tell it what
// happened through events and the shared selection, never by calling back into it.
import { AnalysisViews } from "./analysis.js";
import { getColumns, getJSON } from "./api.js";
import { CELL_PX, densityThreshold, idsInBox, idsInPolygon, topCount } from "./density.js";
import { searchLabel, setValueLabels } from "./labels.js";
import { NoteEditor } from "./notes.js";
import { AXES, currentAxes, fillAxisPickers } from "./pickers.js";
import { sameBox, trialsInside } from "./plotbox.js";
import { RegionPanel } from "./regionpanel.js";
import { buildFigure, zoomAfter } from "./scatter.js";
import { Selection, idsOfEvent } from "./selection.js";
import { TrialTable } from "./tableview.js";
import { lineageDue, lineageKey, subtreeIds } from "./tree.js";
import { TrialStore } from "./trialstore.js";
import { renderTree } from "./treeview.js";
import { readState, writeState } from "./urlstate.js";
import { spanRegion } from "./views/pareto.js";

const root = document.getElementById("dashboard");
const api = root.dataset.api;
const experimentId = Number(root.dataset.experimentId);
const pollMs = Number(root.dataset.pollMs) || 2000;
const $ = (id) => document.getElementById(id);

const state = {
  experiment: null,
  store: new TrialStore(),
  plotted: false,
  tree: [],
  selectedSearch: null, // the search whose subtree the page shows (all when null)
  showFailed: true,
  metrics: [],
  table: new TrialTable($("trials-table"), `experiment-${experimentId}`),
  selection: new Selection(), // trials selected in any view, highlighted in all of them
  zoom: {}, // {x, y}: where the user zoomed the scatter's axes (real units), for its ticks
  noteSearch: null, // the search whose note is being edited (null: none)
  // Density mode (density.js): from `threshold` drawn trials on the scatter plot shows their
  // density and the best trials as points; `figure` is the density figure drawn last (null: points).
  density: {
    threshold: densityThreshold(window.location.search),
    given: new URLSearchParams(window.location.search).get("density"), // kept in the page's links
    figure: null,
  },
};

// Notes: the experiment's, and one search's at a time (opened from its row in the tree).
const experimentNote = new NoteEditor($("experiment-note"));
const searchNote = new NoteEditor($("search-note"), () => refreshExperiment());

const views = new AnalysisViews($("analysis"), {
  selection: state.selection,
  fetchCurves: (ids) =>
    getJSON(`${api}/experiments/${experimentId}/curves?${ids.map((id) => `trial_id=${id}`).join("&")}`).then((r) => r.curves),
  onView: () => syncUrl(),
  view: readState(window.location.search).view,
});

// The panel moved the box itself (a typed bound, ticked categories, a suggestion, Refine):
// the selection follows it; a search it created joins the tree; its part of the link changed.
const panel = new RegionPanel({ api, samplers: root.dataset.samplers.split(",") })
  .on("box", () => {
    selectBox();
    render();
  })
  .on("created", () => refreshExperiment())
  .on("change", () => syncUrl());

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function fillAxes(wanted) {
  fillAxisPickers(state.experiment.space, state.experiment.objective, state.metrics, wanted);
}

function setupAxes(restored) {
  fillAxes(restored);
  for (const id of AXES) {
    $(id).addEventListener("change", () => {
      state.zoom = {};
      panel.setBox(null);
      render();
    });
  }
}

// Metrics appear as trials report them: offer new ones without touching the choices made.
function refreshMetrics() {
  const names = state.store.metricNames();
  if (names.join("\n") === state.metrics.join("\n")) return;
  state.metrics = names;
  fillAxes(currentAxes());
}

function renderSearches() {
  renderTree($("searches"), state.tree, state.selectedSearch, selectSearch, editSearchNote, lineage.bySearch);
  $("show-all-searches").hidden = state.selectedSearch === null;
}

// The tree's lineage (GET .../lineage: each search's best so far, each refinement's gain over its
// parent's best in its region): read when a search finished trials or was made, not on polls that
// bring none, one read at a time, and spaced by ten times the last read's duration (lineageDue),
// the first once the scatter plot is drawn, so the page's first reads do not wait on it. The rows
// show the last answer until the next.
const lineage = { bySearch: new Map(), last: null, loading: false, deferred: false };

function refreshLineage() {
  if (!state.plotted) {
    if (!lineage.deferred) {
      lineage.deferred = true;
      plotlyLoaded().then(() => afterPaint(refreshLineage), () => {});
    }
    return;
  }
  const key = lineageKey(state.tree);
  const at = performance.now();
  if (!lineageDue(key, lineage.last, at, { loading: lineage.loading })) return;
  lineage.loading = true;
  getJSON(`${api}/experiments/${experimentId}/lineage`)
    .then((body) => {
      lineage.bySearch = new Map(body.searches.map((s) => [s.id, s]));
      lineage.last = { key, at, took: performance.now() - at };
      renderSearches();
    })
    .catch(() => {
      // Tried again at a later poll (a lost server shows in the status line); the rows keep theirs.
      lineage.last = { key: null, at, took: performance.now() - at };
    })
    .finally(() => {
      lineage.loading = false;
    });
}

// Open the editor on a search's note (the search as the tree last showed it).
function editSearchNote(search) {
  state.noteSearch = search.id;
  $("search-note").hidden = false;
  $("search-note-name").textContent = searchLabel(search);
  searchNote.show(`${api}/searches/${search.id}/note`, search.note);
  $("search-note-text").focus();
}

// The notes as the server has them now; text being typed stays.
function showNotes() {
  experimentNote.show(`${api}/experiments/${experimentId}/note`, state.experiment.note);
  const search = state.experiment.searches.find((s) => s.id === state.noteSearch);
  if (!search) {
    state.noteSearch = null;
    $("search-note").hidden = true;
    return;
  }
  $("search-note-name").textContent = searchLabel(search);
  searchNote.show(`${api}/searches/${search.id}/note`, search.note);
}

// Show one search and its descendants (null: all), and refine from it.
function selectSearch(id) {
  state.selectedSearch = id;
  if (id !== null) panel.setParent(id);
  renderSearches();
  render();
}

function visibleIds() {
  return state.selectedSearch === null ? null : subtreeIds(state.tree, state.selectedSearch);
}

function visibleTrials() {
  const ids = visibleIds();
  const all = state.store.all();
  return ids ? all.filter((t) => ids.has(t.searchId)) : all;
}

// The trials the scatter plot draws: the visible ones, less failed and pruned when hidden.
function plottedTrials() {
  const trials = visibleTrials();
  return state.showFailed ? trials : trials.filter((t) => t.state !== "failed" && t.state !== "pruned");
}

// The one selection of the page follows the box while there is one: a box selects what it
// covers, so trials that arrive inside it (a child search running there) join at once, and
// the bar, the panel and the table count the same set. No box: a box selection clears.
function selectBox() {
  // The span of trials boxed on the trade-offs plot: those trials stay the selection.
  if (panel.box && panel.suggested?.span !== undefined && state.selection.madeBy("pareto")) return;
  if (panel.box && state.density.figure) {
    // Density mode: what the box covers, read from the columns (most trials are no point).
    const shown = { visible: visibleIds(), showFailed: state.showFailed };
    state.selection.set(idsInBox(state.store.columns(), panel.box, state.experiment.space, shown), "scatter");
  } else if (panel.box) {
    state.selection.set(trialsInside(plottedTrials(), panel.box, state.experiment.space).map((t) => t.id), "scatter");
  } else if (state.selection.madeBy("scatter")) {
    state.selection.clear();
  }
}

function syncUrl() {
  const query = panel.withQuery(writeState({
    ...currentAxes(),
    parent: panel.parentId,
    search: state.selectedSearch,
    showFailed: state.showFailed,
    box: panel.box,
    view: views.active,
  }));
  const kept = new URLSearchParams(query);
  if (state.density.given !== null) kept.set("density", state.density.given); // a lowered threshold stays
  const url = `?${kept.toString()}`;
  if (url !== window.location.search) history.replaceState(null, "", url);
}

// plotly.js loads async (experiment_detail.html), so the trials' fetch and decoding overlap its
// 4.6 MB parse; everything that draws awaits this first.
function plotlyLoaded() {
  if (window.Plotly) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = $("plotly-js");
    script.addEventListener("load", () => resolve());
    script.addEventListener("error", () => reject(new Error("plotly.js did not load")));
  });
}

// Run `fn` once the browser has painted what is on the page now: right after the next frame
// (no timer as a fallback: on a busy machine a software-WebGL frame can take longer than any
// timer, which would then build the table first). A background tab has no frames until shown.
function afterPaint(fn) {
  if (document.hidden) setTimeout(fn, 0);
  else requestAnimationFrame(() => setTimeout(fn, 0));
}

function render() {
  drawScatter();
  renderOthers();
}

// The table, the analysis views and the region panel: everything but the scatter plot.
function renderOthers() {
  const exp = state.experiment;
  const trials = visibleTrials();
  state.table.update(trials, Object.keys(exp.space), state.metrics, state.store.hasNotes());
  views.update({
    trials,
    version: state.store.version,
    filter: `${state.selectedSearch}|${exp.searches.length}`,
    space: exp.space,
    objective: exp.objective,
    direction: exp.direction,
    searches: exp.searches,
    visible: visibleIds(),
    search: state.selectedSearch,
    metrics: exp.metrics,
  });
  const selected = state.selection.ids ? state.selection.ids.size : 0;
  panel.update({ trials, axes: currentAxes(), version: state.store.version, selected });
}

// The cells of density mode: CELL_PX pixels square over the plot area (before the first plot,
// the plot's box less plotly's usual margins).
function densityCells() {
  const layout = $("scatter")._fullLayout;
  const el = $("scatter");
  const width = layout?.xaxis?._length || Math.max(100, el.clientWidth - 140);
  const height = layout?.yaxis?._length || Math.max(100, el.clientHeight - 140);
  return { nx: Math.ceil(width / CELL_PX), ny: Math.ceil(height / CELL_PX) };
}

function drawScatter() {
  const exp = state.experiment;
  const figure = buildFigure({
    columns: state.store.columns(), // the store's typed arrays: no trial object is built to draw
    space: exp.space,
    searches: exp.searches,
    x: $("x-axis").value,
    y: $("y-axis").value,
    color: $("color-axis").value,
    direction: exp.direction,
    objective: exp.objective,
    box: panel.box,
    visible: visibleIds(),
    showFailed: state.showFailed,
    selected: state.selection.ids,
    zoom: state.zoom,
    density: { threshold: state.density.threshold, top: topCount(state.density.threshold), cells: densityCells() },
  });
  state.density.figure = figure.density || null;
  const note = $("density-note");
  if (note) {
    note.hidden = !figure.density;
    const top = topCount(state.density.threshold);
    const over = state.density.threshold.toLocaleString("en");
    if (figure.density) {
      note.textContent = `Over ${over} trials the plot shows their density: each cell is coloured as its best trial, and the best ${top.toLocaleString("en")} and the selected trials are drawn as points. A box or a lasso selects every trial under it.`;
    }
  }
  if (!state.plotted) performance.mark("hz:figure"); // the first plot only, for the benchmark
  Plotly.react("scatter", figure.data, figure.layout, { displaylogo: false, responsive: true });
  if (!state.plotted) {
    state.plotted = true;
    const el = $("scatter");
    el.on("plotly_selected", (event) => {
      if (!event) return;
      if (event.lassoPoints) {
        panel.setBox(null);
        const lasso = { x: $("x-axis").value, y: $("y-axis").value, space: state.experiment.space, polygon: event.lassoPoints };
        const density = state.density.figure; // most trials are no point: the lasso reads the columns
        const ids = density ? idsInPolygon(state.store.columns(), density.drawn, lasso) : idsOfEvent(event, el.data);
        state.selection.set(ids, "scatter");
        return;
      }
      // Plotly also fires this when a redraw adds or drops the box we drew ourselves: only a
      // new box counts, and what it selects is what it covers (selectBox), not plotly's echo.
      if (!event.range) return;
      const box = { x: $("x-axis").value, y: $("y-axis").value, xRange: event.range.x, yRange: event.range.y };
      if (sameBox(box, panel.box, state.experiment.space)) return;
      panel.setBox(box);
      selectBox();
      render();
    });
    el.on("plotly_relayout", (event) => {
      // Keep where the user zoomed (or reset) the axes, in real units, for the ticks.
      const { zoom, changed } = zoomAfter(event, state.zoom, el._fullLayout);
      state.zoom = zoom;
      if (changed) drawScatter();
    });
    el.on("plotly_deselect", () => {
      panel.setBox(null);
      selectBox();
      render();
    });
  }
}

// One selection on the page: a selection made elsewhere replaces the scatter plot's box, and
// clearing it (the bar's button) drops the box however it was made: dragged, typed or linked.
function selectionChanged(selection) {
  if (selection.source === "pareto") proposeSpan(selection.ids);
  else if (selection.source !== "scatter" && panel.box) panel.setBox(null);
  state.table.setSelection(selection.ids);
  const ids = selection.ids;
  $("selection-bar").hidden = ids === null;
  const where = { scatter: "scatter plot", splom: "scatter matrix", parcoords: "parallel coordinates", pareto: "trade-offs plot" };
  if (ids) $("selection-text").textContent = `${ids.size} trial${ids.size === 1 ? "" : "s"} selected in the ${where[selection.source]}.`;
  render();
}

// Trials boxed on the trade-offs plot: the region panel proposes the span of their parameters,
// as it proposes a suggested region (none boxed: no region).
function proposeSpan(ids) {
  const boxed = [...ids].map((id) => state.store.trial(id)).filter(Boolean);
  if (!boxed.length) {
    panel.setBox(null);
    return;
  }
  panel.propose({ region: spanRegion(boxed, state.experiment.space), span: boxed.length });
}

// The experiment's name and what it optimizes, in the heading and the tab's title (a rename
// shows at the next poll).
function showHeading() {
  const exp = state.experiment;
  $("experiment-name").textContent = exp.name;
  $("experiment-subtitle").textContent = `${exp.objective} · ${exp.direction}`;
  document.title = `${exp.name} · Hyperzoom`;
}

// Reads of the experiment started, and the latest applied: a note's save and a refine read it
// beside the polls, and an answer that lands after a later one's is older, so it is dropped
// (applied, it would stay: the cursor has moved past the change it misses).
const experimentReads = { started: 0, applied: 0 };

async function refreshExperiment() {
  const ticket = (experimentReads.started += 1);
  const [experiment, tree] = await Promise.all([
    getJSON(`${api}/experiments/${experimentId}`),
    getJSON(`${api}/experiments/${experimentId}/tree`),
  ]);
  if (ticket < experimentReads.applied) return;
  experimentReads.applied = ticket;
  state.experiment = experiment;
  state.tree = tree;
  if (state.selectedSearch !== null && !subtreeIds(tree, state.selectedSearch)) state.selectedSearch = null;
  panel.setExperiment(experiment);
  showHeading();
  renderSearches();
  showNotes();
  refreshLineage();
}

// Fetch what changed; returns how many trials were new or changed. The columns' cursor is the
// experiment's change number, which every trial write takes and every other change the
// experiment or its tree shows too (a new search, a stop, a note, a rename: docs/architecture.md),
// so a poll whose cursor did not move brings nothing and is that one request; one that moved
// (and the first) reads the experiment and its tree again. Always after the columns, never
// beside them: an experiment read older than the cursor would miss a change (a new search) that
// no later cursor brings back.
async function refresh() {
  const since = state.store.cursor;
  const columns = await getColumns(`${api}/experiments/${experimentId}/trials/columns?since=${since}`);
  // Merged only once the experiment is read: if that read fails, the next poll asks again.
  if (state.experiment === null || columns.cursor !== since) await refreshExperiment();
  const changed = state.store.merge(columns);
  refreshMetrics();
  const n = state.store.size;
  setStatus(n ? `${n} trials` : "No trials yet: start a worker with `hyperzoom worker`.");
  return changed;
}

async function poll() {
  try {
    const changed = await refresh();
    if (changed) selectBox();
    if (changed || !state.plotted) render();
  } catch (error) {
    setStatus(`Lost contact with the server (${error.message}); retrying…`, true);
  } finally {
    setTimeout(poll, pollMs);
  }
}

// The view a link carries: axes, parent, search filter, failed toggle and box.
function restore(saved) {
  setupAxes(saved);
  panel.restore(saved, currentAxes(), window.location.search);
  if (saved.search !== null && subtreeIds(state.tree, saved.search)) state.selectedSearch = saved.search;
  state.showFailed = saved.showFailed;
  $("show-failed").checked = saved.showFailed;
}

function wire() {
  panel.wire();
  $("show-failed").addEventListener("change", () => {
    state.showFailed = $("show-failed").checked;
    selectBox();
    render();
  });
  $("show-all-searches").addEventListener("click", () => selectSearch(null));
  $("search-note-close").addEventListener("click", () => {
    state.noteSearch = null;
    $("search-note").hidden = true;
  });
  $("clear-selection").addEventListener("click", () => {
    panel.setBox(null);
    state.selection.clear();
  });
  state.selection.subscribe(selectionChanged);
}

// What each objective's value measures, for axis titles; without it they say "objective value".
// Asked before the trials, so that a server that wants a token asks for it once.
async function loadValueLabels() {
  try {
    setValueLabels(await getJSON(`${api}/objectives`));
  } catch {
    // No labels: titles fall back.
  }
}

async function start() {
  try {
    await loadValueLabels();
    await refresh();
    performance.mark("hz:trials");
    await plotlyLoaded();
    performance.mark("hz:plotly");
  } catch (error) {
    setStatus(`Could not load the experiment: ${error.message}`, true);
    return;
  }
  restore(readState(window.location.search));
  wire();
  renderSearches();
  // The scatter plot first: the table, the views and the panel are drawn once it is on screen.
  drawScatter();
  // For the benchmark, and the tests: how many trial objects the page had built by then (none).
  performance.mark("hz:scatter", { detail: { trialObjects: state.store.objectsBuilt } });
  afterPaint(async () => {
    // The table and the views read trial objects: built a slice at a time, so the page answers
    // clicks meanwhile (a click that needs them all builds the rest at once).
    await state.store.build();
    renderOthers();
    performance.mark("hz:others");
    selectBox(); // a box restored from a link selects what it covers, as drawing it would
    setTimeout(poll, pollMs);
  });
}

start();
