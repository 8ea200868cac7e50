// The trial page: everything about one trial, and its learning curve, from GET /api/trials/{id};
// and its note, kept with PUT /api/trials/{id}/note (notes.js).
import { getJSON } from "./api.js";
import { durationSeconds, fmt, timeText } from "./format.js";
import { NoteEditor } from "./notes.js";
import { curveFigure } from "./trialcurve.js";

const root = document.getElementById("trial");
const api = root.dataset.api;
const trialId = Number(root.dataset.trialId);
const $ = (id) => document.getElementById(id);
const note = new NoteEditor($("trial-note"));

function nameValueRows(table, entries) {
  const rows = entries.map(([name, value]) => {
    const tr = document.createElement("tr");
    tr.dataset.name = name;
    for (const text of [name, typeof value === "object" && value !== null ? JSON.stringify(value) : fmt(value)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  table.querySelector("tbody").replaceChildren(...rows);
}

function renderFacts(trial, experiment) {
  const seconds = durationSeconds(trial.started_at, trial.finished_at);
  const facts = [
    ["state", trial.state],
    [`value (${experiment.direction})`, fmt(trial.value)],
    ["search", String(trial.search_id)],
    ["worker", trial.worker || "–"],
    ["attempt", String(trial.attempt)],
    ["started", timeText(trial.started_at)],
    ["finished", timeText(trial.finished_at)],
    ["duration", seconds === null ? "–" : `${fmt(seconds)} s`],
  ];
  $("facts").replaceChildren(
    ...facts.flatMap(([term, text]) => {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = term;
      dd.textContent = text;
      dd.dataset.fact = term.split(" ")[0];
      return [dt, dd];
    }),
  );
}

function renderTrial(trial, experiment) {
  $("trial-title").textContent = `Trial ${trial.number} · search ${trial.search_id}`;
  document.title = `Trial ${trial.number} · ${experiment.name} · Hyperzoom`;
  const link = $("experiment-link");
  link.textContent = `← ${experiment.name}`;
  link.href = `/experiments/${experiment.id}?search=${trial.search_id}`;
  renderFacts(trial, experiment);
  $("trial-error").hidden = !trial.error;
  $("trial-error").textContent = trial.error || "";
  nameValueRows($("params"), Object.entries(trial.params));
  const metrics = Object.entries(trial.metrics || {});
  nameValueRows($("metrics"), metrics);
  $("metrics").hidden = metrics.length === 0;
  $("no-metrics").hidden = metrics.length > 0;
  const points = trial.intermediate_values;
  $("no-curve").hidden = points.length > 0;
  $("curve").hidden = points.length === 0;
  if (points.length) {
    const figure = curveFigure(points);
    Plotly.react("curve", figure.data, figure.layout, { displaylogo: false, responsive: true });
  }
}

async function start() {
  try {
    const trial = await getJSON(`${api}/trials/${trialId}`);
    const search = await getJSON(`${api}/searches/${trial.search_id}`);
    const experiment = await getJSON(`${api}/experiments/${search.experiment_id}`);
    renderTrial(trial, experiment);
    note.show(`${api}/trials/${trialId}/note`, trial.note);
    $("status").hidden = true;
  } catch (error) {
    $("status").textContent = `Could not load the trial: ${error.message}`;
    $("status").classList.add("error");
  }
}

start();
