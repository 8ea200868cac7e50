// The experiments list: refreshed live from the API (and filled in when reads need a token).
import { getJSON } from "./api.js";
import { fmt } from "./format.js";

const table = document.getElementById("experiments");
const api = table.dataset.api;
const REFRESH_MS = 3000;

function cell(...children) {
  const td = document.createElement("td");
  td.append(...children);
  return td;
}

function row(e) {
  const c = e.counts;
  const finished = c.complete + c.failed + c.pruned;
  const link = document.createElement("a");
  link.href = `/experiments/${e.id}`;
  link.textContent = e.name;
  const bar = document.createElement("progress");
  bar.max = e.n_trials;
  bar.value = finished;
  const extra = (c.running ? ` · ${c.running} running` : "") + (c.failed ? ` · ${c.failed} failed` : "");
  const tr = document.createElement("tr");
  tr.dataset.experimentId = String(e.id);
  tr.append(
    cell(link),
    cell(e.objective),
    cell(e.direction),
    cell(String(e.n_searches)),
    cell(bar, ` ${finished} / ${e.n_trials}${extra}`),
    cell(fmt(e.best_value)),
  );
  return tr;
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const experiments = await getJSON(`${api}/experiments`);
    table.querySelector("tbody").replaceChildren(...experiments.map(row));
    table.hidden = experiments.length === 0;
    document.getElementById("no-experiments").hidden = experiments.length > 0;
    status.textContent = "";
    status.classList.remove("error");
  } catch (error) {
    status.textContent = `Lost contact with the server (${error.message}); retrying…`;
    status.classList.add("error");
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
