// The region panel of the experiment page: the box drawn on the plot as editable bounds, how
// the trials inside compare with the rest, how to narrow the parameters off the axes, the
// suggested region, and Refine. The panel judges nothing itself: each draft goes to the server
// as a dry-run refine (debounced), and the panel draws the answer: the canonical region, its
// problems, statistics, edges and the ranges the other parameters could take.
import { ApiError, getJSON, postJSON } from "./api.js";
import { axisValue, paramName } from "./axes.js";
import { boundsRow, edgeItem, otherItem, problemRow, statsRows } from "./panel.js";
import { boxFromRegion, boxRegion, extentOf, valueRange } from "./region.js";
import { categoryRange, otherParams, readNarrowing, readPicks, withNarrowing, withPicks } from "./regionedit.js";
import { fillSelect } from "./pickers.js";
import { searchLabel } from "./scatter.js";
import { regionText } from "./treeview.js";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 120;

// A key for a request that means the same to every server: 32 random hex digits (randomUUID
// needs a secure context, which a server on another host over http is not).
function newKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class RegionPanel {
  // `view` gives the page's experiment, visible trials, axes and selection, and is told when
  // the box moved (`boxMoved`), a search was created (`refreshed`) or the panel changed.
  constructor({ api, samplers, view }) {
    this.api = api;
    this.samplers = samplers;
    this.view = view;
    this.box = null; // {x, y, xRange, yRange} in the plot's units
    this.suggested = null; // {region, edges, n_trials, warning} the box was drawn from
    this.parentId = null;
    // All keyed by parameter name, as regions are (the box's axes are axis keys).
    this.modes = {}; // parameter off the axes -> "keep" | "span" | "suggested"
    this.typed = {}; // parameter -> {low?, high?}: text typed and not yet taken by the server
    this.picked = {}; // categorical parameter on an axis -> the categories ticked
    this.preview = null; // {key, body}: the server's dry run of the draft with that key
    this.timer = null;
    this.refining = false;
    this.refineKey = { draft: null, value: null }; // the Idempotency-Key of the current draft
    this.problemShown = false;
  }

  wire() {
    $("parent-search").addEventListener("change", () => {
      this.parentId = Number($("parent-search").value);
      this.suggested = null;
      this.render();
    });
    $("refine-button").addEventListener("click", () => this.refine());
    $("suggest-button").addEventListener("click", () => this.suggest());
    $("region-bounds").addEventListener("change", (e) => {
      if (e.target.matches("input.bound")) this.typeBound(e.target);
      if (e.target.matches("input.category")) this.pickCategories(e.target.dataset.param);
    });
    $("region-others").addEventListener("change", (e) => {
      if (!e.target.matches("select.narrowing")) return;
      this.modes[e.target.dataset.param] = e.target.value;
      this.render();
    });
    fillSelect($("refine-sampler"), this.samplers.map((name) => [name, name]), "random");
  }

  // A box drawn by hand (null: none) replaces a suggestion, typed bounds and ticks.
  setBox(box) {
    this.box = box;
    this.suggested = null;
    this.typed = {};
    this.picked = {};
  }

  setParent(id) {
    this.parentId = id;
    this.suggested = null;
    this.renderParentPicker();
  }

  // From a link: the parent search, the box if it was drawn on these axes, the ticks and how
  // the other parameters are narrowed.
  restore(saved, axes) {
    this.modes = readNarrowing(window.location.search);
    const searches = this.view.experiment().searches;
    if (saved.parent !== null && searches.some((s) => s.id === saved.parent)) {
      this.parentId = saved.parent;
    }
    if (saved.box && saved.x === axes.x && saved.y === axes.y) {
      this.box = { x: axes.x, y: axes.y, ...saved.box };
      this.picked = readPicks(window.location.search, this.parentSpace());
    }
  }

  // The page's query with the panel's own part (narrowed parameters, ticks) added.
  withQuery(query) {
    return this.box ? withPicks(withNarrowing(query, this.modes), this.picked, this.parentSpace()) : query;
  }

  renderParentPicker() {
    const searches = this.view.experiment().searches;
    if (this.parentId === null || !searches.some((s) => s.id === this.parentId)) {
      this.parentId = searches[0].id;
    }
    const options = searches.map((s) => [String(s.id), searchLabel(s)]);
    fillSelect($("parent-search"), options, String(this.parentId));
  }

  parentSpace() {
    const exp = this.view.experiment();
    const parent = exp.searches.find((s) => s.id === this.parentId);
    return parent ? parent.space : exp.space;
  }

  // The dry-run body for the box, the typed bounds, the ticks and the chosen narrowings, and
  // the typed text that is not a number at all (the one thing judged here: it cannot be sent).
  draft() {
    const space = this.parentSpace();
    const region = boxRegion(this.box, space, this.view.experiment().space);
    const unreadable = {};
    for (const [name, typed] of Object.entries(this.typed)) {
      if (!Object.hasOwn(region, name)) continue;
      region[name] = ["low", "high"].map((side, i) => {
        if (!(side in typed)) return region[name][i];
        const v = typed[side].trim() === "" ? NaN : Number(typed[side]);
        if (!Number.isFinite(v)) unreadable[name] = { side, problem: "not a number" };
        return v;
      });
    }
    for (const [name, chosen] of Object.entries(this.picked)) {
      if (Object.hasOwn(region, name)) region[name] = chosen.filter((c) => space[name].choices.includes(c));
    }
    const ranges = this.preview ? this.preview.body.ranges : {};
    for (const name of otherParams(space, [this.box.x, this.box.y])) {
      const bounds = this.narrowing(name, ranges)[1];
      if (bounds) region[name] = bounds;
    }
    const body = { region, dry_run: true };
    const values = valueRange(this.box);
    if (values) body.value_range = values;
    return { body, unreadable, space };
  }

  // The mode a parameter off the axes is in, and the bounds it sends (null: the parent's).
  narrowing(name, ranges) {
    const fromSuggestion = this.suggested && Object.hasOwn(this.suggested.region, name);
    const mode = this.modes[name] || (fromSuggestion ? "suggested" : "keep");
    const range = Object.hasOwn(ranges, name) ? ranges[name] : null;
    if (mode === "span") return [mode, range ? range.span : null];
    if (mode === "suggested") return [mode, fromSuggestion ? this.suggested.region[name] : range && range.suggested];
    return ["keep", null];
  }

  // `auto`: asked again by an answer (a narrowing that needed its ranges). Answers settle in
  // one or two rounds; a few more would mean the draft chases itself, so draw what there is.
  render(auto = false) {
    this.autoAsks = auto ? (this.autoAsks || 0) + 1 : 0;
    const box = this.box;
    $("region-empty").hidden = box !== null;
    $("region-details").hidden = box === null;
    if (!box) {
      clearTimeout(this.timer);
      this.preview = null;
      delete $("region-panel").dataset.pending;
      $("region-edges").replaceChildren();
      $("refine-button").disabled = true;
      this.view.changed();
      return;
    }
    const d = this.draft();
    const key = `${this.parentId}|${this.view.version()}|${JSON.stringify(d.body)}`;
    if (Object.keys(d.unreadable).length) {
      this.draw(d, null);
    } else if (this.preview && (this.preview.key === key || this.autoAsks > 3)) {
      this.draw(d, this.preview.body);
    } else {
      $("refine-button").disabled = true;
      $("region-panel").dataset.pending = "true"; // for tests and styles: an answer is due
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.ask(key, d.body), DEBOUNCE_MS);
    }
    this.view.changed();
  }

  async ask(key, body) {
    if (!this.box) return;
    try {
      const answer = await postJSON(`${this.api}/searches/${this.parentId}/refine`, body);
      this.preview = { key, body: answer };
      this.render(true);
    } catch (error) {
      this.setMessage(error instanceof ApiError ? error.message : String(error), true);
    }
  }

  // Draw the server's answer; `p` is null while typed text cannot be read as a number.
  draw(d, p) {
    delete $("region-panel").dataset.pending;
    const problems = {};
    let general = [];
    for (const problem of p ? p.problems : []) {
      const name = problem.loc[2];
      if (name !== undefined && Object.hasOwn(d.space, name)) problems[name] = problem.msg;
      else general.push(problem.msg);
    }
    for (const [name, u] of Object.entries(d.unreadable)) problems[name] = u.problem;
    const typedNow = p ? this.takeTyped(p.region, problems) : Object.keys(this.typed).length > 0;
    this.renderBounds(p && !p.problems.length ? p.region : d.body.region, d.space, problems, typedNow);
    if (p) {
      $("region-stats").querySelector("tbody").replaceChildren(...statsRows(p.inside, p.outside));
      $("region-count").textContent = String(p.inside.count);
      $("region-edges").replaceChildren(...p.edges.map(edgeItem));
    }
    $("region-selected").textContent = String(this.view.selectedCount());
    const ranges = p ? p.ranges : {};
    const items = otherParams(d.space, [this.box.x, this.box.y]).map((name) => this.otherRow(name, ranges, d.space));
    $("region-others").replaceChildren(...items);
    $("region-others-block").hidden = items.length === 0;
    const empty = !p || Object.keys(p.region).length === 0;
    const blocked = Object.keys(problems).length > 0 || general.length > 0;
    $("refine-button").disabled = empty || blocked || this.refining;
    if (Object.keys(problems).length) general = ["Fix the bounds marked above to refine."];
    else if (!general.length && empty && p) general = ["Put a parameter on an axis to select a region of it."];
    this.showProblem(general.join("; "), blocked);
  }

  // Typed bounds the server took without a problem become the box's own (it moves to them).
  // Returns whether anything was typed, taken or not.
  takeTyped(region, problems) {
    const typed = Object.keys(this.typed).length > 0;
    let moved = false;
    for (const name of Object.keys(this.typed)) {
      if (problems[name] || !Object.hasOwn(region, name)) continue;
      delete this.typed[name];
      this.box = this.boxWith(name, region[name]);
      moved = true;
    }
    if (moved) this.view.boxMoved();
    return typed;
  }

  boxWith(name, bounds) {
    const moved = { ...this.box };
    const axisSpec = this.view.experiment().space[name];
    for (const axis of ["x", "y"]) {
      if (paramName(moved[axis]) !== name) continue;
      moved[`${axis}Range`] = axisSpec.type === "categorical" ? categoryRange(bounds, axisSpec.choices) : [...bounds];
    }
    return moved;
  }

  otherRow(name, ranges, space) {
    const range = Object.hasOwn(ranges, name) ? ranges[name] : null;
    const categorical = space[name].type === "categorical";
    const offer = (bounds, problem) => (bounds ? { bounds, categorical } : { problem: problem || "…" });
    const suggestion = this.suggested && Object.hasOwn(this.suggested.region, name) ? this.suggested.region[name] : null;
    const choices = {
      keep: null,
      span: offer(range && range.span, range && range.span_problem),
      suggested: offer(suggestion || (range && range.suggested), range && range.suggested_problem),
    };
    let [mode] = this.narrowing(name, ranges);
    if (choices[mode] && choices[mode].problem) mode = "keep";
    return otherItem(name, choices, mode);
  }

  showProblem(problem, isError) {
    if (problem) this.setMessage(problem, isError);
    else if (this.problemShown) this.setMessage(this.suggestedNote());
    this.problemShown = Boolean(problem);
  }

  suggestedNote() {
    if (!this.suggested) return "";
    const s = this.suggested;
    return `Suggested from the best of ${s.n_trials} completed trials.${s.warning ? ` Careful: ${s.warning}.` : ""}`;
  }

  // Rebuild the bounds table, keeping the caret where it was; while someone is typing in it
  // and a live update arrives (nothing typed to answer), leave it alone.
  renderBounds(region, space, problems, typed) {
    const focused = document.activeElement;
    const editing = focused && focused.matches && focused.matches("#region-bounds input.bound");
    if (editing && !typed) return;
    const rows = [];
    const plotted = [paramName(this.box.x), paramName(this.box.y)];
    for (const [name, bounds] of Object.entries(region)) {
      if (!plotted.includes(name) || !Object.hasOwn(space, name)) continue;
      const spec = space[name];
      const b = spec.type === "categorical"
        ? { kind: "choices", choices: bounds, all: spec.choices }
        : { kind: "range", low: bounds[0], high: bounds[1] };
      rows.push(boundsRow(name, b, this.typed[name] || {}));
      if (problems[name]) rows.push(problemRow(name, problems[name], `bound-problem-${rows.length}`));
    }
    $("region-bounds").querySelector("tbody").replaceChildren(...rows);
    for (const row of rows) {
      if (!row.classList.contains("bound-problem")) continue;
      const typed = this.typed[row.dataset.param];
      for (const input of $("region-bounds").querySelectorAll("input.bound, input.category")) {
        if (input.dataset.param !== row.dataset.param) continue;
        if (input.matches(".bound") && typed && !(input.dataset.side in typed)) continue;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", row.firstChild.id);
      }
    }
    if (focused && focused.matches && focused.matches("#region-bounds input")) {
      const again = [...$("region-bounds").querySelectorAll("input")].find(
        (i) =>
          i.className === focused.className &&
          i.dataset.param === focused.dataset.param &&
          i.dataset.side === focused.dataset.side &&
          i.dataset.index === focused.dataset.index,
      );
      if (again) again.focus();
    }
  }

  // A bound typed into the table goes to the server as it is; once it is taken the box moves
  // to it, and a refusal is shown next to the field while Refine waits.
  typeBound(input) {
    const name = input.dataset.param;
    this.typed[name] = { ...this.typed[name], [input.dataset.side]: input.value };
    this.render();
  }

  // Categories ticked in the table: the region takes exactly those (the server refuses none),
  // and the box on the plot moves to cover them.
  pickCategories(name) {
    const space = this.parentSpace();
    if (!Object.hasOwn(space, name)) return;
    const boxes = [...$("region-bounds").querySelectorAll("input.category")].filter((b) => b.dataset.param === name);
    const ticked = new Set(boxes.filter((b) => b.checked).map((b) => Number(b.dataset.index)));
    this.picked[name] = space[name].choices.filter((_, i) => ticked.has(i));
    if (this.picked[name].length) {
      this.box = this.boxWith(name, this.picked[name]);
      this.view.boxMoved();
    }
    this.render();
  }

  async suggest() {
    try {
      const found = await getJSON(`${this.api}/searches/${this.parentId}/suggest-region`);
      const { x, y } = this.view.axes();
      const trials = this.view.trials();
      const extent = (key) => extentOf(trials.map((t) => axisValue(t, key)));
      this.box = boxFromRegion(found.region, x, y, this.parentSpace(), this.view.experiment().space, extent);
      this.suggested = found;
      this.typed = {};
      this.picked = {};
      this.modes = {};
      this.setMessage(this.suggestedNote(), Boolean(found.warning));
      this.view.boxMoved();
    } catch (error) {
      this.setMessage(error instanceof ApiError ? error.message : String(error), true);
    }
  }

  // Refine once: the button waits while the request is out, and the same Idempotency-Key goes
  // with every send of one draft, so a double click or a retry creates one search.
  async refine() {
    const p = this.preview && this.preview.body;
    if (this.refining || !p || p.problems.length || $("refine-button").disabled) return;
    this.refining = true;
    $("refine-button").disabled = true;
    if (this.refineKey.draft !== this.preview.key) this.refineKey = { draft: this.preview.key, value: newKey() };
    const body = { region: p.region, n_trials: Number($("refine-trials").value), sampler: $("refine-sampler").value };
    let child;
    try {
      child = await postJSON(`${this.api}/searches/${this.parentId}/refine`, body, {
        "Idempotency-Key": this.refineKey.value,
      });
    } catch (error) {
      this.refining = false;
      this.render();
      this.setMessage(error instanceof ApiError ? error.message : String(error), true);
      return;
    }
    // The search exists: say so first, whatever redrawing the page then meets.
    this.parentId = child.id;
    this.setBox(null);
    this.modes = {};
    this.setMessage(`Created ${searchLabel(child)} over ${regionText(child.region)}.`);
    try {
      this.view.boxMoved(); // no box: the selection clears with it
      await this.view.refreshed();
    } finally {
      this.refining = false;
      this.render();
    }
  }

  setMessage(text, isError = false) {
    $("refine-message").textContent = text;
    $("refine-message").classList.toggle("error", isError);
  }
}
