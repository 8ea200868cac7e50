// The experiment page: load the experiment, keep its trials current, draw the scatter plot,
// turn a box drawn on it into a region, and refine the chosen search over that region.
import { ApiError, getJSON, postJSON } from "./api.js";
import { axisValue } from "./axes.js";
import { fmt } from "./format.js";
import {
  bestOf,
  boxFromRegion,
  insideRegion,
  regionFromBox,
  sameBox,
  trialsInside,
} from "./region.js";
import { historyFigure } from "./history.js";
import { boundsRow, edgeItem } from "./panel.js";
import { AXES, currentAxes, fillAxisPickers, fillSelect } from "./pickers.js";
import { buildFigure, searchLabel } from "./scatter.js";
import { TrialTable } from "./tableview.js";
import { subtreeIds } from "./tree.js";
import { regionText, renderTree } from "./treeview.js";
import { TrialStore, metricNames } from "./trials.js";
import { readState, writeState } from "./urlstate.js";

const root = document.getElementById("dashboard");
const api = root.dataset.api;
const experimentId = Number(root.dataset.experimentId);
const pollMs = Number(root.dataset.pollMs) || 2000;
const $ = (id) => document.getElementById(id);

const state = {
  experiment: null,
  store: new TrialStore(),
  box: null, // the box on the plot: {x, y, xRange, yRange}
  suggested: null, // a suggested region {region, edges} that the box was drawn from
  parentId: null,
  plotted: false,
  tree: [],
  selectedSearch: null, // the search whose subtree the page shows (all when null)
  showFailed: true,
  metrics: [],
  table: new TrialTable($("trials-table"), `experiment-${experimentId}`),
};

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
      state.box = null;
      state.suggested = null;
      render();
    });
  }
}

// Metrics appear as trials report them: offer new ones without touching the choices made.
function refreshMetrics() {
  const names = metricNames(state.store.all());
  if (names.join("\n") === state.metrics.join("\n")) return;
  state.metrics = names;
  fillAxes(currentAxes());
}

function renderParentPicker() {
  const searches = state.experiment.searches;
  if (state.parentId === null || !searches.some((s) => s.id === state.parentId)) {
    state.parentId = searches[0].id;
  }
  fillSelect($("parent-search"), searches.map((s) => [String(s.id), searchLabel(s)]), String(state.parentId));
}

function renderSearches() {
  renderTree($("searches"), state.tree, state.selectedSearch, selectSearch);
  $("show-all-searches").hidden = state.selectedSearch === null;
}

// Show one search and its descendants (null: all), and refine from it.
function selectSearch(id) {
  state.selectedSearch = id;
  if (id !== null) {
    state.parentId = id;
    renderParentPicker();
  }
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

function syncUrl() {
  const query = writeState({
    ...currentAxes(),
    parent: state.parentId,
    search: state.selectedSearch,
    showFailed: state.showFailed,
    box: state.box,
  });
  if (query !== window.location.search) history.replaceState(null, "", query);
}

function parentSpace() {
  const parent = state.experiment.searches.find((s) => s.id === state.parentId);
  return parent ? parent.space : state.experiment.space;
}

function renderPanel() {
  const box = state.box;
  $("region-empty").hidden = box !== null;
  $("region-details").hidden = box === null;
  renderEdges();
  syncUrl();
  if (!box) {
    $("refine-button").disabled = true;
    return;
  }
  const space = parentSpace();
  const { region, problems } = currentRegion();
  const rows = Object.entries(region).map(([key, bounds]) => {
    const spec = space[key];
    const b = spec && spec.type === "categorical"
      ? { kind: "choices", choices: bounds }
      : { kind: "range", low: bounds[0], high: bounds[1] };
    return boundsRow(key, b);
  });
  $("region-bounds").querySelector("tbody").replaceChildren(...rows);
  const all = visibleTrials();
  const inside = state.suggested
    ? all.filter((t) => insideRegion(t, state.suggested.region))
    : trialsInside(all, box, state.experiment.space);
  $("region-count").textContent = String(inside.length);
  const best = bestOf(inside, state.experiment.direction);
  $("region-best").textContent = best ? `${fmt(best.value)} (search ${best.searchId}, trial ${best.number})` : "–";
  const empty = Object.keys(region).length === 0;
  $("refine-button").disabled = empty || problems.length > 0;
  setMessage(problems.join("; ") || (empty ? "Put a parameter on an axis to select a region of it." : ""), problems.length > 0);
}

// The region Refine will send: the suggested one, or the drawn box's axes.
function currentRegion() {
  if (state.suggested) return { region: state.suggested.region, problems: [] };
  return regionFromBox(state.box, parentSpace(), state.experiment.space);
}

function renderEdges() {
  $("region-edges").replaceChildren(...(state.suggested ? state.suggested.edges : []).map(edgeItem));
}

async function suggest() {
  try {
    const found = await getJSON(`${api}/searches/${state.parentId}/suggest-region`);
    const x = $("x-axis").value;
    const y = $("y-axis").value;
    const trials = visibleTrials();
    const box = boxFromRegion(found.region, x, y, state.experiment.space, (key) => trials.map((t) => axisValue(t, key)));
    state.suggested = found;
    state.box = box;
    setMessage(`Suggested from the best of ${found.n_trials} trials.`);
    render();
  } catch (error) {
    setMessage(error instanceof ApiError ? error.message : String(error), true);
  }
}

function setMessage(text, isError = false) {
  $("refine-message").textContent = text;
  $("refine-message").classList.toggle("error", isError);
}

function render() {
  const exp = state.experiment;
  const figure = buildFigure({
    trials: state.store.all(),
    space: exp.space,
    searches: exp.searches,
    x: $("x-axis").value,
    y: $("y-axis").value,
    color: $("color-axis").value,
    direction: exp.direction,
    objective: exp.objective,
    box: state.box,
    visible: visibleIds(),
    showFailed: state.showFailed,
  });
  state.table.update(visibleTrials(), Object.keys(exp.space), state.metrics);
  renderHistory();
  Plotly.react("scatter", figure.data, figure.layout, { displaylogo: false, responsive: true });
  if (!state.plotted) {
    state.plotted = true;
    const el = $("scatter");
    el.on("plotly_selected", (event) => {
      if (!event || !event.range) return;
      const box = { x: $("x-axis").value, y: $("y-axis").value, xRange: event.range.x, yRange: event.range.y };
      if (sameBox(box, state.box)) return; // plotly echoing the box we drew ourselves
      state.box = box;
      state.suggested = null;
      renderPanel();
    });
    el.on("plotly_deselect", () => {
      state.box = null;
      state.suggested = null;
      renderPanel();
    });
  }
  renderPanel();
}

function renderHistory() {
  const { searches, direction, objective } = state.experiment;
  const visible = visibleIds();
  const figure = historyFigure({ trials: state.store.all(), searches, visible, direction, objective });
  Plotly.react("history", figure.data, figure.layout, { displaylogo: false, responsive: true });
}

async function refine() {
  const { region } = currentRegion();
  const nTrials = Number($("refine-trials").value);
  const sampler = $("refine-sampler").value;
  $("refine-button").disabled = true;
  try {
    const child = await postJSON(`${api}/searches/${state.parentId}/refine`, { region, n_trials: nTrials, sampler });
    state.parentId = child.id;
    setMessage(`Created ${searchLabel(child)} over ${regionText(child.region)}.`);
    await refreshExperiment();
  } catch (error) {
    setMessage(error instanceof ApiError ? error.message : String(error), true);
  } finally {
    $("refine-button").disabled = false;
  }
}

async function refreshExperiment() {
  const [experiment, tree] = await Promise.all([
    getJSON(`${api}/experiments/${experimentId}`),
    getJSON(`${api}/experiments/${experimentId}/tree`),
  ]);
  state.experiment = experiment;
  state.tree = tree;
  if (state.selectedSearch !== null && !subtreeIds(tree, state.selectedSearch)) state.selectedSearch = null;
  renderParentPicker();
  renderSearches();
}

// Fetch what changed; returns how many trials were new or changed.
async function refresh() {
  const [columns] = await Promise.all([
    getJSON(`${api}/experiments/${experimentId}/trials/columns?since=${state.store.cursor}`),
    refreshExperiment(),
  ]);
  const changed = state.store.merge(columns);
  refreshMetrics();
  const n = state.store.byId.size;
  setStatus(n ? `${n} trials` : "No trials yet: start a worker with `hyperzoom worker`.");
  return changed;
}

async function poll() {
  try {
    const changed = await refresh();
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
  const axes = currentAxes();
  if (saved.parent !== null && state.experiment.searches.some((s) => s.id === saved.parent)) state.parentId = saved.parent;
  if (saved.search !== null && subtreeIds(state.tree, saved.search)) state.selectedSearch = saved.search;
  state.showFailed = saved.showFailed;
  $("show-failed").checked = saved.showFailed;
  if (saved.box && saved.x === axes.x && saved.y === axes.y) state.box = { x: axes.x, y: axes.y, ...saved.box };
}

function wire() {
  $("parent-search").addEventListener("change", () => {
    state.parentId = Number($("parent-search").value);
    state.suggested = null;
    renderPanel();
  });
  $("refine-button").addEventListener("click", refine);
  $("suggest-button").addEventListener("click", suggest);
  $("show-failed").addEventListener("change", () => {
    state.showFailed = $("show-failed").checked;
    render();
  });
  $("show-all-searches").addEventListener("click", () => selectSearch(null));
  const samplers = root.dataset.samplers.split(",");
  fillSelect($("refine-sampler"), samplers.map((name) => [name, name]), "random");
}

async function start() {
  try {
    await refresh();
  } catch (error) {
    setStatus(`Could not load the experiment: ${error.message}`, true);
    return;
  }
  $("experiment-name").textContent = state.experiment.name;
  $("experiment-subtitle").textContent = `${state.experiment.objective} · ${state.experiment.direction}`;
  document.title = `${state.experiment.name} · Hyperzoom`;
  restore(readState(window.location.search));
  wire();
  renderParentPicker();
  renderSearches();
  render();
  setTimeout(poll, pollMs);
}

start();
