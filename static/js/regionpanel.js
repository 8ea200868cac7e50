// The region panel of the experiment page: the box drawn on the plot as editable bounds, how
// the trials inside compare with the rest, how to narrow the parameters off the axes, the
// suggested region, and Refine, which starts the child search.
import { ApiError, getJSON, postJSON } from "./api.js";
import { axisValue, paramName } from "./axes.js";
import { boundsRow, edgeItem, otherItem, problemRow, statsRows } from "./panel.js";
import { boxFromRegion, regionFromBox, regionTest, trialsInside } from "./region.js";
import {
  categoryRange,
  checkBound,
  checkCategories,
  otherParams,
  readNarrowing,
  readPicks,
  spanOf,
  withNarrowing,
  withPicks,
} from "./regionedit.js";
import { regionEdges, statsOf } from "./regionstats.js";
import { fillSelect } from "./pickers.js";
import { searchLabel } from "./scatter.js";
import { subtreeIds } from "./tree.js";
import { regionText } from "./treeview.js";

const $ = (id) => document.getElementById(id);
const sorted = (r) => [Math.min(...r), Math.max(...r)];

export class RegionPanel {
  // `view` gives the page's current experiment, tree, visible trials and axes, and is told
  // when the box changed (`redraw`), a search was created (`refreshed`) or the panel changed.
  constructor({ api, samplers, view }) {
    this.api = api;
    this.samplers = samplers;
    this.view = view;
    this.box = null; // {x, y, xRange, yRange} in the plot's units
    this.suggested = null; // {region, edges, n_trials} the box was drawn from
    this.parentId = null;
    // Both keyed by parameter name, as regions are (the box's axes are axis keys).
    this.modes = {}; // parameter off the axes -> "keep" | "span" | "suggested"
    this.typed = {}; // parameter -> {low?, high?, ticked?, problem}: refused bound text or ticks
    this.picked = {}; // categorical parameter on an axis -> the categories ticked for the region
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
      if (e.target.matches("input.bound")) this.editBound(e.target);
      if (e.target.matches("input.category")) this.pickCategories(e.target.dataset.param);
    });
    $("region-others").addEventListener("change", (e) => {
      if (!e.target.matches("select.narrowing")) return;
      this.modes[e.target.dataset.param] = e.target.value;
      this.render();
    });
    fillSelect($("refine-sampler"), this.samplers.map((name) => [name, name]), "random");
  }

  // A box drawn by hand (null: none) replaces a suggestion and refused bounds.
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

  // From a link: the parent search, the box if it was drawn on these axes, and which other
  // parameters are narrowed to the selected span.
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

  // The page's query with the panel's own part (the narrowed parameters) added.
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

  // The trials the panel speaks of: those shown that belong to the parent's subtree.
  pool() {
    const ids = subtreeIds(this.view.tree(), this.parentId);
    const shown = this.view.trials();
    return ids ? shown.filter((t) => ids.has(t.searchId)) : shown;
  }

  // What Refine would send, and everything the panel shows about it.
  draft() {
    const space = this.parentSpace();
    const expSpace = this.view.experiment().space;
    const { region, problems } = regionFromBox(this.box, space, expSpace);
    // Ticked categories replace the ones the box spans (they need not be next to each other).
    const plotted = [paramName(this.box.x), paramName(this.box.y)];
    for (const [name, chosen] of Object.entries(this.picked)) {
      if (!plotted.includes(name) || !Object.hasOwn(space, name)) continue;
      const kept = chosen.filter((c) => space[name].choices.includes(c)); // another parent may have fewer
      if (kept.length) region[name] = kept;
    }
    for (const [key, t] of Object.entries(this.typed)) problems.push(`${key}: ${t.problem}`);
    const pool = this.pool();
    const selected = trialsInside(pool, this.box, expSpace);
    const others = {};
    for (const key of otherParams(space, [this.box.x, this.box.y])) {
      const spec = space[key];
      const choices = { keep: null, span: spanOf(selected, key, spec) };
      const offered = this.suggested ? this.suggested.region : {};
      const suggested = Object.hasOwn(offered, key) && offered[key];
      if (suggested) choices.suggested = { bounds: suggested, categorical: spec.type === "categorical" };
      let mode = this.modes[key] in choices ? this.modes[key] : suggested ? "suggested" : "keep";
      if (choices[mode] && choices[mode].problem) mode = "keep";
      others[key] = { choices, mode };
      if (mode !== "keep") region[key] = choices[mode].bounds;
    }
    return { region, problems, pool, selected, others, space };
  }

  render() {
    const box = this.box;
    $("region-empty").hidden = box !== null;
    $("region-details").hidden = box === null;
    if (!box) {
      $("region-edges").replaceChildren();
      $("refine-button").disabled = true;
      this.view.changed();
      return;
    }
    const d = this.draft();
    this.renderBounds(d.region, d.space);
    const exp = this.view.experiment();
    const [inside, outside] = [[], []];
    const isInside = regionTest(d.region, d.space);
    for (const t of d.pool) (isInside(t) ? inside : outside).push(t);
    const [statsIn, statsOut] = [statsOf(inside, exp.direction), statsOf(outside, exp.direction)];
    $("region-stats").querySelector("tbody").replaceChildren(...statsRows(statsIn, statsOut));
    $("region-selected").textContent = String(d.selected.length);
    $("region-count").textContent = String(inside.length);
    // A suggestion comes with the server's edges; a box drawn or typed gets its own.
    const edges = this.suggested
      ? this.suggested.edges
      : regionEdges(inside, d.region, d.space, exp.direction);
    $("region-edges").replaceChildren(...edges.map(edgeItem));
    const items = Object.entries(d.others).map(([key, o]) => otherItem(key, o.choices, o.mode));
    $("region-others").replaceChildren(...items);
    $("region-others-block").hidden = items.length === 0;
    const empty = Object.keys(d.region).length === 0;
    $("refine-button").disabled = empty || d.problems.length > 0;
    this.showProblem(d, empty);
    this.view.changed();
  }

  // Why Refine waits, if it does; a message that is not about the region (say "Created
  // search 4") stays until the region has a problem.
  showProblem(d, empty) {
    const typed = Object.keys(this.typed).length > 0;
    let problem = d.problems.join("; ");
    if (typed) problem = "Fix the bounds marked above to refine.";
    else if (!problem && empty) problem = "Put a parameter on an axis to select a region of it.";
    if (problem) this.setMessage(problem, typed || d.problems.length > 0);
    else if (this.problemShown) this.setMessage("");
    this.problemShown = Boolean(problem);
  }

  // Rebuild the bounds table, keeping the caret where it was; while someone is typing in it
  // (a live update arrives), leave it alone.
  renderBounds(region, space, force = false) {
    const focused = document.activeElement;
    const editing = focused && focused.matches && focused.matches("#region-bounds input.bound");
    if (editing && !force) return;
    const rows = [];
    const plotted = [paramName(this.box.x), paramName(this.box.y)];
    for (const [key, bounds] of Object.entries(region)) {
      if (!plotted.includes(key)) continue;
      const spec = space[key];
      const b = spec && spec.type === "categorical"
        ? { kind: "choices", choices: bounds, all: spec.choices }
        : { kind: "range", low: bounds[0], high: bounds[1] };
      const typed = this.typed[key] || {};
      rows.push(boundsRow(key, b, typed));
      if (typed.problem) rows.push(problemRow(key, typed.problem, `bound-problem-${rows.length}`));
    }
    $("region-bounds").querySelector("tbody").replaceChildren(...rows);
    for (const row of rows) {
      if (!row.classList.contains("bound-problem")) continue;
      const refused = this.typed[row.dataset.param];
      for (const input of $("region-bounds").querySelectorAll("input.bound, input.category")) {
        if (input.dataset.param !== row.dataset.param) continue;
        if (input.matches(".bound") && !(input.dataset.side in refused)) continue;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", row.firstChild.id);
      }
    }
    const ticking = focused && focused.matches && focused.matches("#region-bounds input.category");
    if (editing || ticking) {
      const again = [...$("region-bounds").querySelectorAll("input.bound, input.category")].find(
        (i) =>
          i.className === focused.className &&
          i.dataset.param === focused.dataset.param &&
          i.dataset.side === focused.dataset.side &&
          i.dataset.index === focused.dataset.index,
      );
      if (again) again.focus();
    }
  }

  // A bound typed into the table: a valid one moves the box on the plot, a refused one is
  // kept with its reason next to it and Refine waits.
  editBound(input) {
    const key = input.dataset.param; // a parameter's name, not an axis key
    const side = input.dataset.side;
    const space = this.parentSpace();
    if (!Object.hasOwn(space, key)) return;
    const spec = space[key];
    const { region } = regionFromBox(this.box, space, this.view.experiment().space);
    const current = Object.hasOwn(region, key) ? region[key] : [spec.low, spec.high];
    const checked = checkBound(input.value, side, current, spec);
    if (checked.problem) {
      this.typed[key] = { ...this.typed[key], [side]: input.value, problem: checked.problem };
    } else {
      delete this.typed[key]; // the other side shows the box's bound again
      const moved = { ...this.box };
      for (const axis of ["x", "y"]) {
        if (paramName(moved[axis]) !== key) continue;
        const r = sorted(moved[`${axis}Range`]);
        r[side === "low" ? 0 : 1] = checked.value;
        moved[`${axis}Range`] = r;
      }
      this.box = moved;
    }
    this.view.redraw();
    const d = this.draft();
    this.renderBounds(d.region, d.space, true);
  }

  // Categories ticked in the table: the region takes exactly those, and the box on the plot
  // moves to cover them; ticking none is refused (with its reason) and Refine waits.
  pickCategories(key) {
    const space = this.parentSpace();
    if (!Object.hasOwn(space, key)) return;
    const boxes = [...$("region-bounds").querySelectorAll("input.category")];
    const ticked = new Set(
      boxes.filter((b) => b.dataset.param === key && b.checked).map((b) => Number(b.dataset.index)),
    );
    const checked = checkCategories(ticked, space[key]);
    if (checked.problem) {
      this.typed[key] = { ticked, problem: checked.problem };
    } else {
      delete this.typed[key];
      this.picked[key] = checked.value;
      const axisSpec = this.view.experiment().space[key] || space[key];
      const moved = { ...this.box };
      for (const axis of ["x", "y"]) {
        if (paramName(moved[axis]) === key) moved[`${axis}Range`] = categoryRange(checked.value, axisSpec.choices);
      }
      this.box = moved;
    }
    this.view.redraw();
    const d = this.draft();
    this.renderBounds(d.region, d.space, true);
  }

  async suggest() {
    try {
      const found = await getJSON(`${this.api}/searches/${this.parentId}/suggest-region`);
      const { x, y } = this.view.axes();
      const trials = this.view.trials();
      const space = this.view.experiment().space;
      const values = (key) => trials.map((t) => axisValue(t, key));
      this.box = boxFromRegion(found.region, x, y, space, values);
      this.suggested = found;
      this.typed = {};
      this.picked = {};
      this.modes = {};
      this.setMessage(`Suggested from the best of ${found.n_trials} trials.`);
      this.view.redraw();
    } catch (error) {
      this.setMessage(error instanceof ApiError ? error.message : String(error), true);
    }
  }

  async refine() {
    const { region } = this.draft();
    const nTrials = Number($("refine-trials").value);
    const body = { region, n_trials: nTrials, sampler: $("refine-sampler").value };
    $("refine-button").disabled = true;
    try {
      const child = await postJSON(`${this.api}/searches/${this.parentId}/refine`, body);
      this.parentId = child.id;
      await this.view.refreshed();
      this.render();
      this.setMessage(`Created ${searchLabel(child)} over ${regionText(child.region)}.`);
    } catch (error) {
      this.render();
      this.setMessage(error instanceof ApiError ? error.message : String(error), true);
    }
  }

  setMessage(text, isError = false) {
    $("refine-message").textContent = text;
    $("refine-message").classList.toggle("error", isError);
  }
}
