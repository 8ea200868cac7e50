// The analysis views' "Compare" tab: did zooming pay off? Best so far against trials spent (a
// refinement's line starts where it was made), the EDF of each search's values, the gain table
// (each refinement against its parent's best inside its region, from the server), and two
// searches picked side by side on the scatter plot's current axes (from the page's trials).
//
// The tab and its panel are made here, with their few styles, not in experiment_detail.html
// and app.css: all they hold is this module's, and analysis.js adds them before its tab list is
// built. User text (search labels, parameter names, categories) goes into the page as
// textContent, into plotly escaped.
import { getJSON } from "./api.js";
import { fmt, signed } from "./format.js";
import { searchLabel } from "./labels.js";
import { fillSelect } from "./pickers.js";
import { beatText, defaultPair, edfFigure, gainRows, pairFigure, progressFigure } from "./views/lineage.js";

const CONFIG = { displaylogo: false, responsive: true };
const CAPTION = "font-size: .95rem; font-weight: 600; margin: .6rem 0 .2rem";
const PLOT = "height: 320px";
const GAIN_COLORS = { better: "#1a7f37", worse: "#b42318" };
const GAIN_COLUMNS = ["Search", "Parent", "Made after", "Trials", "Parent best in region", "Best", "Gain", "Trials to beat"];

function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function styled(tag, css, props = {}, children = []) {
  const node = el(tag, props, children);
  node.style.cssText = css;
  return node;
}

// Add the tab and its panel to the analysis section (once), after the other views.
export function addCompareTab(root) {
  const list = root.querySelector('[role="tablist"]');
  if (!list || root.querySelector("#tab-compare")) return;
  const tab = el("button", { type: "button", id: "tab-compare", textContent: "Compare" });
  tab.setAttribute("role", "tab");
  tab.dataset.view = "compare";
  tab.setAttribute("aria-controls", "view-compare");
  list.append(tab);
  const head = el("tr", {}, GAIN_COLUMNS.map((text) => el("th", { scope: "col", textContent: text })));
  const panel = el("div", { id: "view-compare", tabIndex: 0, hidden: true }, [
    el("p", {
      className: "hint",
      textContent:
        "Did zooming pay off? A refinement's gain is measured against its parent's best among " +
        "the parent's trials inside the refinement's region (its box), not the parent's best anywhere.",
    }),
    el("p", { className: "view-note", hidden: true }),
    styled("div", "display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem", {}, [
      styled("figure", "margin: 0; min-width: 0", {}, [
        styled("figcaption", CAPTION, { textContent: "Best so far against trials spent" }),
        styled("div", PLOT, { id: "compare-progress", className: "compare-plot" }),
      ]),
      styled("figure", "margin: 0; min-width: 0", {}, [
        styled("figcaption", CAPTION, { textContent: "Distribution of each search's values (EDF)" }),
        styled("div", PLOT, { id: "compare-edf", className: "compare-plot" }),
      ]),
    ]),
    styled("h3", CAPTION, { textContent: "Gain of each refinement in its region" }),
    el("div", { className: "table-scroll" }, [
      el("table", { id: "compare-gains", className: "table compact" }, [el("thead", {}, [head]), el("tbody")]),
    ]),
    el("p", { id: "compare-gains-empty", className: "empty", textContent: "No refinements yet.", hidden: true }),
    styled("h3", CAPTION, { textContent: "Two searches on the scatter plot's axes" }),
    styled("div", "display: flex; gap: 1rem; flex-wrap: wrap; margin: .3rem 0", {}, [
      el("label", {}, ["A ", el("select", { id: "compare-a" })]),
      el("label", {}, ["B ", el("select", { id: "compare-b" })]),
    ]),
    styled("div", "height: 420px", { id: "compare-pair", className: "compare-plot" }),
  ]);
  panel.setAttribute("role", "tabpanel");
  panel.dataset.view = "compare";
  panel.setAttribute("aria-labelledby", "tab-compare");
  const panels = root.querySelectorAll('[role="tabpanel"]');
  panels[panels.length - 1].after(panel);
}

export class CompareView {
  // `panel`: what addCompareTab made; `lineageUrl`: GET it for the numbers; `onPick()`: the
  // person picked another pair (draw again).
  constructor(panel, { lineageUrl, onPick }) {
    this.panel = panel;
    this.lineageUrl = lineageUrl;
    this.picks = null; // [a, b] search ids, once the person or the default chose them
    this.picked = false; // the person chose: keep their pair while searches come and go
    this.lineage = null; // {key, body}: the last answer, and the trials and searches it is for
    for (const id of ["compare-a", "compare-b"]) {
      this.$(id).addEventListener("change", () => {
        this.picks = [Number(this.$("compare-a").value), Number(this.$("compare-b").value)];
        this.picked = true;
        onPick();
      });
    }
  }

  $(id) {
    return this.panel.querySelector(`#${id}`);
  }

  // What the tab shows besides the trials and searches: the pair the person picked (the
  // default pair follows the searches) and the scatter plot's axes.
  key(axes) {
    return `${this.picked ? this.picks.join(",") : "default"}|${axes.x}|${axes.y}`;
  }

  // The lineage for these trials and searches: fetched again only when they changed.
  async load(ctx) {
    const key = `${ctx.version}|${ctx.searches.length}`;
    if (!this.lineage || this.lineage.key !== key) this.lineage = { key, body: await getJSON(this.lineageUrl) };
    return this.lineage.body;
  }

  // Draw everything for ctx (the analysis views' context), its lineage and the scatter plot's
  // axes; the note it returns says what is missing ("" when nothing is).
  draw(ctx, lineage, axes) {
    const { searches, visible, direction, objective, space } = ctx;
    const shown = searches.filter((s) => !visible || visible.has(s.id));
    this.fillPickers(shown);
    const args = { lineage, searches, visible, direction, objective };
    const progress = progressFigure(args);
    const edf = edfFigure(args);
    this.put("compare-progress", progress);
    this.put("compare-edf", edf);
    this.fillGains(gainRows(args));
    const [a, b] = this.picks;
    const pair = a === null ? { data: [] } : pairFigure({ trials: ctx.trials, a, b, searches, x: axes.x, y: axes.y, space, objective });
    this.put("compare-pair", pair);
    return progress.data.length ? "" : "No finished trials yet.";
  }

  fillPickers(shown) {
    const ids = shown.map((s) => s.id);
    const fresh = !this.picks || !this.picks.every((id) => ids.includes(id));
    if (fresh || !this.picked) {
      this.picks = defaultPair(shown);
      if (fresh) this.picked = false;
    }
    const options = shown.map((s) => [String(s.id), searchLabel(s)]);
    fillSelect(this.$("compare-a"), options, String(this.picks[0]));
    fillSelect(this.$("compare-b"), options, String(this.picks[1]));
  }

  fillGains(rows) {
    const body = this.$("compare-gains").querySelector("tbody");
    body.replaceChildren(
      ...rows.map((r) => {
        const tr = el("tr");
        tr.dataset.searchId = String(r.id);
        const beat = beatText(r.baseline, r.trialsToBeat, r.trials);
        const cells = [r.label, `search ${r.parentId}`, `${r.atCreation} trials`, String(r.trials), fmt(r.baseline), fmt(r.best), signed(r.gain), beat];
        const names = ["search", "parent", "after", "trials", "baseline", "best", "gain", "to-beat"];
        cells.forEach((text, i) => tr.append(el("td", { textContent: text, className: `gain-${names[i]}` })));
        const gain = tr.querySelector(".gain-gain");
        if (r.gain !== null) gain.classList.add(r.gain > 0 ? "better" : r.gain < 0 ? "worse" : "even");
        if (r.gain) Object.assign(gain.style, { color: GAIN_COLORS[r.gain > 0 ? "better" : "worse"], fontWeight: "600" });
        return tr;
      }),
    );
    this.$("compare-gains-empty").hidden = rows.length > 0;
  }

  put(id, figure) {
    const target = this.$(id);
    if (!figure.data.length) {
      window.Plotly.purge(target);
      return;
    }
    window.Plotly.react(target, figure.data, figure.layout, CONFIG);
  }
}
