// The trial table on the experiment page: sortable headers, filters, pages and downloads.
import { downloadText } from "./download.js";
import { fmt } from "./format.js";
import { PAGE_SIZE, STATES, filterTrials, pageCount, pageOf, sortTrials, tableColumns, toCSV, toJSON } from "./table.js";

function cell(content) {
  const td = document.createElement("td");
  if (typeof content === "string") td.textContent = content;
  else td.append(content);
  return td;
}

// A trial's note is people's text: shown as text, cut to one line here, whole on hover.
function noteCell(note) {
  const td = cell(note ?? "");
  td.className = "note-cell";
  if (note) td.title = note;
  return td;
}

function trialRow(trial, columns) {
  const tr = document.createElement("tr");
  tr.dataset.trialId = String(trial.id);
  tr.className = `state-${trial.state}`;
  const link = document.createElement("a");
  link.href = `/trials/${trial.id}`;
  link.textContent = String(trial.number);
  const rest = columns.slice(1).map((c) => (c.key === "note" ? noteCell(c.get(trial)) : cell(fmt(c.get(trial)))));
  tr.append(cell(link), ...rest);
  return tr;
}

export class TrialTable {
  // `el` holds the controls and the table (see experiment_detail.html); `name` names downloads.
  constructor(el, name) {
    this.el = el;
    this.name = name;
    this.sortKey = "number";
    this.descending = false;
    this.page = 0;
    this.trials = [];
    this.selected = null; // trial ids selected in the plots: only they are listed
    this.columns = tableColumns([], []);
    const q = (sel) => el.querySelector(sel);
    this.text = q(".table-filter");
    this.state = q(".table-state");
    for (const s of ["", ...STATES]) this.state.append(new Option(s || "any state", s));
    this.text.addEventListener("input", () => this.refilter());
    this.state.addEventListener("change", () => this.refilter());
    q(".table-prev").addEventListener("click", () => this.turn(-1));
    q(".table-next").addEventListener("click", () => this.turn(1));
    q(".download-csv").addEventListener("click", () => this.download("csv"));
    q(".download-json").addEventListener("click", () => this.download("json"));
  }

  // `withNotes`: some trial has a note, so the table has a column for them.
  update(trials, paramNames, metricNames, withNotes = false) {
    this.trials = trials;
    this.columns = tableColumns(paramNames, metricNames, withNotes);
    this.render();
  }

  // Show only the trials selected in the plots (all again when `ids` is null).
  setSelection(ids) {
    this.selected = ids;
    this.refilter();
  }

  refilter() {
    this.page = 0;
    this.render();
  }

  turn(step) {
    this.page += step;
    this.render();
  }

  sortBy(key) {
    this.descending = this.sortKey === key ? !this.descending : false;
    this.sortKey = key;
    this.render();
    const again = this.el.querySelector(`th[data-key="${CSS.escape(key)}"] button`);
    if (again) again.focus(); // the header was rebuilt: keep the keyboard where it was
  }

  rows() {
    const column = this.columns.find((c) => c.key === this.sortKey) || this.columns[0];
    const chosen = this.selected ? this.trials.filter((t) => this.selected.has(t.id)) : this.trials;
    const filtered = filterTrials(chosen, { text: this.text.value, state: this.state.value });
    return sortTrials(filtered, column, this.descending);
  }

  render() {
    const rows = this.rows();
    const pages = pageCount(rows.length);
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    this.renderHead();
    const shown = pageOf(rows, this.page);
    this.el.querySelector("tbody").replaceChildren(...shown.map((t) => trialRow(t, this.columns)));
    const first = rows.length ? this.page * PAGE_SIZE + 1 : 0;
    const info = `${first}–${first + shown.length - (rows.length ? 1 : 0)} of ${rows.length}`;
    const why = this.selected ? "selected, " : "";
    this.el.querySelector(".table-info").textContent =
      rows.length < this.trials.length ? `${info} (${why}filtered from ${this.trials.length})` : info;
    this.el.classList.toggle("has-selection", this.selected !== null);
    this.el.querySelector(".table-prev").disabled = this.page === 0;
    this.el.querySelector(".table-next").disabled = this.page >= pages - 1;
  }

  // Rebuilt only when it changes, so polling never takes the focus off a header.
  renderHead() {
    const signature = JSON.stringify([this.columns.map((c) => c.key), this.sortKey, this.descending]);
    if (signature === this.headSignature) return;
    this.headSignature = signature;
    const ths = this.columns.map((c) => {
      const th = document.createElement("th");
      th.dataset.key = c.key;
      const sorted = c.key === this.sortKey;
      th.setAttribute("aria-sort", sorted ? (this.descending ? "descending" : "ascending") : "none");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = c.label + (sorted ? (this.descending ? " ▼" : " ▲") : "");
      button.addEventListener("click", () => this.sortBy(c.key));
      th.append(button);
      return th;
    });
    this.el.querySelector("thead tr").replaceChildren(...ths);
  }

  download(format) {
    const rows = this.rows();
    const text = format === "csv" ? toCSV(rows, this.columns) : toJSON(rows);
    downloadText(`${this.name}-trials.${format}`, text, format === "csv" ? "text/csv" : "application/json");
  }
}
