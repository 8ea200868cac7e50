// The experiment page: load the experiment, keep its trials current, draw the scatter plot,
// turn a box drawn on it into a region, and refine the chosen search over that region.
import { ApiError, getJSON, postJSON } from "./api.js";
import { NUMBER, VALUE, axisChoices, axisLabel, axisValue } from "./axes.js";
import { fmt } from "./format.js";
import {
  bestOf,
  boxFromRegion,
  insideRegion,
  regionFromBox,
  sameBox,
  trialsInside,
} from "./region.js";
import { buildFigure, searchLabel } from "./scatter.js";
import { TrialStore } from "./trials.js";

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
};

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function fillSelect(select, options, selected) {
  select.replaceChildren(
    ...options.map(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      option.selected = value === selected;
      return option;
    }),
  );
}

function setupAxes() {
  const { space, objective } = state.experiment;
  const keys = axisChoices(space);
  const options = keys.map((k) => [k, axisLabel(k, objective)]);
  const firstLog = keys.find((k) => space[k] && space[k].log) || keys[0];
  fillSelect($("x-axis"), options, firstLog);
  fillSelect($("y-axis"), options, VALUE);
  fillSelect($("color-axis"), options.filter(([k]) => k !== NUMBER), VALUE);
  for (const id of ["x-axis", "y-axis", "color-axis"]) {
    $(id).addEventListener("change", () => {
      state.box = null;
      state.suggested = null;
      render();
    });
  }
}

function renderParentPicker() {
  const searches = state.experiment.searches;
  if (state.parentId === null || !searches.some((s) => s.id === state.parentId)) {
    state.parentId = searches[0].id;
  }
  fillSelect($("parent-search"), searches.map((s) => [String(s.id), searchLabel(s)]), String(state.parentId));
}

function regionText(region) {
  if (!region) return "whole space";
  return Object.entries(region)
    .map(([k, v]) => (v.length === 2 && typeof v[0] === "number" ? `${k} ∈ [${fmt(v[0])}, ${fmt(v[1])}]` : `${k} ∈ {${v.join(", ")}}`))
    .join("; ");
}

function renderSearches() {
  const rows = state.experiment.searches.map((s) => {
    const finished = s.counts.complete + s.counts.failed + s.counts.pruned;
    const cells = [
      searchLabel(s),
      s.parent_id === null ? "–" : String(s.parent_id),
      s.sampler,
      regionText(s.region),
      `${finished} / ${s.n_trials}` + (s.counts.failed ? ` (${s.counts.failed} failed)` : ""),
      fmt(s.best_value),
      s.status,
    ];
    const tr = document.createElement("tr");
    tr.dataset.searchId = String(s.id);
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $("searches").querySelector("tbody").replaceChildren(...rows);
}

function parentSpace() {
  const parent = state.experiment.searches.find((s) => s.id === state.parentId);
  return parent ? parent.space : state.experiment.space;
}

function boundsRow(name, b) {
  const tr = document.createElement("tr");
  tr.dataset.param = name;
  const cells = b.kind === "choices" ? [name, b.choices.join(", "), ""] : [name, fmt(b.low), fmt(b.high)];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (b.kind === "range" && i > 0) {
      td.dataset.value = String(i === 1 ? b.low : b.high);
      td.className = i === 1 ? "low" : "high";
    }
    tr.append(td);
  });
  return tr;
}

function renderPanel() {
  const box = state.box;
  $("region-empty").hidden = box !== null;
  $("region-details").hidden = box === null;
  renderEdges();
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
  const all = state.store.all();
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
  const edges = state.suggested ? state.suggested.edges : [];
  $("region-edges").replaceChildren(
    ...edges.map((e) => {
      const li = document.createElement("li");
      li.dataset.param = e.param;
      li.dataset.side = e.side;
      li.textContent = e.message;
      return li;
    }),
  );
}

async function suggest() {
  try {
    const found = await getJSON(`${api}/searches/${state.parentId}/suggest-region`);
    const x = $("x-axis").value;
    const y = $("y-axis").value;
    const trials = state.store.all();
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
  });
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
  state.experiment = await getJSON(`${api}/experiments/${experimentId}`);
  renderParentPicker();
  renderSearches();
}

async function poll() {
  try {
    const [columns] = await Promise.all([
      getJSON(`${api}/experiments/${experimentId}/trials/columns?since=${state.store.cursor}`),
      refreshExperiment(),
    ]);
    const changed = state.store.merge(columns);
    const n = state.store.byId.size;
    setStatus(n ? `${n} trials` : "No trials yet: start a worker with `hyperzoom worker`.");
    if (changed || !state.plotted) render();
  } catch (error) {
    setStatus(`Lost contact with the server (${error.message}); retrying…`, true);
  } finally {
    setTimeout(poll, pollMs);
  }
}

async function start() {
  try {
    state.experiment = await getJSON(`${api}/experiments/${experimentId}`);
  } catch (error) {
    setStatus(`Could not load the experiment: ${error.message}`, true);
    return;
  }
  $("experiment-name").textContent = state.experiment.name;
  $("experiment-subtitle").textContent = `${state.experiment.objective} · ${state.experiment.direction}`;
  document.title = `${state.experiment.name} · Hyperzoom`;
  setupAxes();
  renderParentPicker();
  $("parent-search").addEventListener("change", () => {
    state.parentId = Number($("parent-search").value);
    state.suggested = null;
    renderPanel();
  });
  $("refine-button").addEventListener("click", refine);
  $("suggest-button").addEventListener("click", suggest);
  const samplers = root.dataset.samplers.split(",");
  fillSelect($("refine-sampler"), samplers.map((name) => [name, name]), "random");
  await poll();
}

start();
