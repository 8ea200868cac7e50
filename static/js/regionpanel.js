// The region panel of the experiment page: the box drawn on the plot as editable bounds, how
// the trials inside compare with the rest, how to narrow the parameters off the axes, the
// suggested region, and Refine (with an optional note: why this box). The panel judges nothing
// itself: each draft (regiondraft.js) goes to the server as a dry-run refine (debounced), and
// the panel draws the answer: the canonical region, its problems, statistics, edges and the
// ranges the other parameters could take.
//
// The page drives the panel and the panel never calls into the page: the page hands it the
// experiment (setExperiment), what is on the plot (update), a box drawn by hand (setBox) and a
// search to refine (setParent), and reads `box` and `parentId`. The panel tells whoever listens
// (events.js) three things: "box" (it moved the box itself: typed bounds taken, categories
// ticked, a region suggested, or the box cleared after Refine), "created" (Refine made this
// search) and "change" (its part of the link may have changed).
import { ApiError, getJSON, postJSON } from "./api.js";
import { axisValue, paramName } from "./axes.js";
import { Emitter } from "./events.js";
import { regionText, searchLabel } from "./labels.js";
import { fillSelect } from "./pickers.js";
import { boxFromRegion, extentOf } from "./plotbox.js";
import { boxWith, draftBody, otherChoices, otherParams, sortProblems, suggestedNote } from "./regiondraft.js";
import { boundsRow, edgeItem, otherItem, problemRow, statsRows } from "./regionrows.js";
import { readNarrowing, readPicks, withNarrowing, withPicks } from "./urlstate.js";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 120;

// A key for a request that means the same to every server: 32 random hex digits (randomUUID
// needs a secure context, which a server on another host over http is not).
function newKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class RegionPanel extends Emitter {
  constructor({ api, samplers }) {
    super();
    this.api = api;
    this.samplers = samplers;
    this.experiment = null; // the page's experiment: its space and searches
    this.plot = { trials: [], axes: null, version: 0, selected: 0 }; // see update()
    this.box = null; // {x, y, xRange, yRange} in the plot's units
    this.suggested = null; // {region, edges, n_complete, warning} the box was drawn from
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

  // The experiment as the page last read it; its searches are the parents on offer.
  setExperiment(experiment) {
    this.experiment = experiment;
    this.renderParentPicker();
  }

  // What is on the plot, then draw: the visible `trials` and the `axes` ({x, y}: where a
  // suggested region's box goes), their `version` (an answer is for one version) and how many
  // trials are `selected`.
  update({ trials, axes, version, selected }) {
    this.plot = { trials, axes, version, selected };
    this.render();
  }

  // From a link (`query`, read by readState as `saved`): the parent search, the box if it was
  // drawn on these axes, the ticks and how the other parameters are narrowed.
  restore(saved, axes, query) {
    this.modes = readNarrowing(query);
    const searches = this.experiment.searches;
    if (saved.parent !== null && searches.some((s) => s.id === saved.parent)) {
      this.parentId = saved.parent;
    }
    if (saved.box && saved.x === axes.x && saved.y === axes.y) {
      this.box = { x: axes.x, y: axes.y, ...saved.box };
      this.picked = readPicks(query, this.parentSpace());
    }
    this.renderParentPicker();
  }

  // The page's query with the panel's own part (narrowed parameters, ticks) added.
  withQuery(query) {
    return this.box ? withPicks(withNarrowing(query, this.modes), this.picked, this.parentSpace()) : query;
  }

  renderParentPicker() {
    const searches = this.experiment.searches;
    if (this.parentId === null || !searches.some((s) => s.id === this.parentId)) {
      this.parentId = searches[0].id;
    }
    const options = searches.map((s) => [String(s.id), searchLabel(s)]);
    fillSelect($("parent-search"), options, String(this.parentId));
  }

  parentSpace() {
    const exp = this.experiment;
    const parent = exp.searches.find((s) => s.id === this.parentId);
    return parent ? parent.space : exp.space;
  }

  // What goes into a narrowing: the modes chosen, the suggested region, and the `ranges` the
  // other parameters could take (by default the last answer's).
  narrowings(ranges = this.preview ? this.preview.body.ranges : {}) {
    return { modes: this.modes, suggested: this.suggested, ranges };
  }

  // The dry-run body for the box, the typed bounds, the ticks and the chosen narrowings; the
  // typed text that is no number; the parent's space.
  draft() {
    const space = this.parentSpace();
    const { box, typed, picked } = this;
    const axisSpace = this.experiment.space;
    return { ...draftBody({ box, parentSpace: space, axisSpace, typed, picked, ...this.narrowings() }), space };
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
      this.emit("change");
      return;
    }
    const d = this.draft();
    const key = `${this.parentId}|${this.plot.version}|${JSON.stringify(d.body)}`;
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
    this.emit("change");
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
    const { byParam: problems, general: sorted } = sortProblems(p ? p.problems : [], d.space, d.unreadable);
    let general = sorted;
    const typedNow = p ? this.takeTyped(p.region, problems) : Object.keys(this.typed).length > 0;
    this.renderBounds(p && !p.problems.length ? p.region : d.body.region, d.space, problems, typedNow);
    if (p) {
      $("region-stats").querySelector("tbody").replaceChildren(...statsRows(p.inside, p.outside));
      $("region-count").textContent = String(p.inside.count);
      $("region-edges").replaceChildren(...p.edges.map(edgeItem));
    }
    $("region-selected").textContent = String(this.plot.selected);
    const ranges = p ? p.ranges : {};
    const items = otherParams(d.space, [this.box.x, this.box.y]).map((name) => this.otherRow(name, d.space, ranges));
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
      this.box = boxWith(this.box, name, region[name], this.experiment.space);
      moved = true;
    }
    if (moved) this.emit("box");
    return typed;
  }

  otherRow(name, space, ranges) {
    const { choices, mode } = otherChoices(name, space, this.narrowings(ranges));
    return otherItem(name, choices, mode);
  }

  showProblem(problem, isError) {
    if (problem) this.setMessage(problem, isError);
    else if (this.problemShown) this.setMessage(suggestedNote(this.suggested));
    this.problemShown = Boolean(problem);
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
      this.box = boxWith(this.box, name, this.picked[name], this.experiment.space);
      this.emit("box");
    }
    this.render();
  }

  async suggest() {
    try {
      this.propose(await getJSON(`${this.api}/searches/${this.parentId}/suggest-region`));
      this.emit("box");
    } catch (error) {
      this.setMessage(error instanceof ApiError ? error.message : String(error), true);
    }
  }

  // Take `found.region` as the draft: a box on the plot's axes, the categories of a category
  // axis ticked as they are, the parameters off the axes narrowed to it (the "suggested" mode).
  // Both a suggested region and the span of trials boxed on the trade-offs plot (`found.span`:
  // how many) come this way. The caller says whether the box moved ("box").
  propose(found) {
    const { trials, axes } = this.plot;
    const extent = (key) => extentOf(trials.map((t) => axisValue(t, key)));
    const space = this.parentSpace();
    this.box = boxFromRegion(found.region, axes.x, axes.y, space, this.experiment.space, extent);
    this.suggested = found;
    this.typed = {};
    this.picked = {};
    this.modes = {};
    for (const key of [axes.x, axes.y]) {
      const name = paramName(key);
      if (found.span && name !== null && space[name]?.type === "categorical" && Object.hasOwn(found.region, name)) {
        this.picked[name] = found.region[name];
      }
    }
    this.setMessage(suggestedNote(found), Boolean(found.warning));
  }

  // Refine once: the button waits while the request is out, and the same Idempotency-Key goes
  // with every send of one draft, so a double click or a retry creates one search.
  async refine() {
    const p = this.preview && this.preview.body;
    if (this.refining || !p || p.problems.length || $("refine-button").disabled) return;
    this.refining = true;
    $("refine-button").disabled = true;
    const body = { region: p.region, n_trials: Number($("refine-trials").value), sampler: $("refine-sampler").value };
    const note = $("refine-note").value;
    if (note.trim()) body.note = note; // why this box: kept on the new search
    // One key per body: a note (or budget) changed after a failed send is another request.
    const draft = `${this.preview.key}|${JSON.stringify(body)}`;
    if (this.refineKey.draft !== draft) this.refineKey = { draft, value: newKey() };
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
    $("refine-note").value = "";
    this.setMessage(`Created ${searchLabel(child)} over ${regionText(child.region)}.`);
    try {
      this.emit("box"); // no box: the selection clears with it
      this.emit("created", child);
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
