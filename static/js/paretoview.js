// The analysis views' "Trade-offs" tab, shown when the experiment declares two or more
// metrics: two of them against each other (pickers, the first two by default), the server's
// Pareto front (GET …/pareto, fetched again when the trials or the search filter changed) as a
// line, infeasible trials greyed apart. A box on it selects trials as the other views do; the
// page then hands the span of their parameters to the region panel (experiment.js).
//
// As compare.js, the tab and its panel are made here. Metric names go into the page as
// textContent, into plotly escaped (views/pareto.js).
import { getJSON } from "./api.js";
import { fillSelect } from "./pickers.js";
import { metricPair, paretoTab } from "./views/pareto.js";

function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

// Add the tab and its panel to the analysis section (once), hidden until show() says the
// experiment has metrics to trade off.
export function addParetoTab(root) {
  const list = root.querySelector('[role="tablist"]');
  if (!list || root.querySelector("#tab-pareto")) return;
  const tab = el("button", { type: "button", id: "tab-pareto", textContent: "Trade-offs", hidden: true });
  tab.setAttribute("role", "tab");
  tab.dataset.view = "pareto";
  tab.setAttribute("aria-controls", "view-pareto");
  list.append(tab);
  const pickers = el("div", { className: "pareto-pickers" }, [
    el("label", {}, ["x ", el("select", { id: "pareto-x" })]),
    el("label", {}, [" y ", el("select", { id: "pareto-y" })]),
  ]);
  pickers.style.cssText = "display: flex; gap: 1rem; flex-wrap: wrap; margin: .3rem 0";
  const plot = el("div", { id: "pareto", className: "view-plot pareto" });
  plot.style.cssText = "height: 440px";
  const panel = el("div", { id: "view-pareto", tabIndex: 0, hidden: true }, [
    pickers,
    el("p", { className: "view-note", hidden: true }),
    plot,
  ]);
  panel.setAttribute("role", "tabpanel");
  panel.dataset.view = "pareto";
  panel.setAttribute("aria-labelledby", "tab-pareto");
  const panels = root.querySelectorAll('[role="tabpanel"]');
  panels[panels.length - 1].after(panel);
}

export class ParetoView {
  // `panel`: what addParetoTab made; `paretoUrl`: GET it (with ?search=) for the front;
  // `onPick()`: the person picked other metrics (draw again).
  constructor(panel, { paretoUrl, onPick }) {
    this.panel = panel;
    this.paretoUrl = paretoUrl;
    this.pair = []; // [x, y] metric names, as the pickers last showed them
    this.front = null; // {key, body}: the last answer, and the trials and filter it is for
    for (const id of ["pareto-x", "pareto-y"]) {
      this.$(id).addEventListener("change", () => {
        this.pair = [this.$("pareto-x").value, this.$("pareto-y").value];
        onPick();
      });
    }
  }

  $(id) {
    return this.panel.querySelector(`#${id}`);
  }

  key() {
    return this.pair.join("|");
  }

  // The front for these trials and this search filter: fetched again only when they changed.
  async load(ctx) {
    const key = `${ctx.version}|${ctx.filter}`;
    if (!this.front || this.front.key !== key) {
      const query = ctx.search === null || ctx.search === undefined ? "" : `?search=${ctx.search}`;
      this.front = { key, body: await getJSON(this.paretoUrl + query) };
    }
    return this.front.body;
  }

  // The pickers and what to draw: {note, figure} (views/pareto.js).
  tab(ctx, pareto, selected) {
    const metrics = ctx.metrics || [];
    this.pair = metricPair(metrics, this.pair);
    const options = metrics.map((m) => [m.name, `${m.name} (${m.direction})`]);
    fillSelect(this.$("pareto-x"), options, this.pair[0]);
    fillSelect(this.$("pareto-y"), options, this.pair[1]);
    const [x, y] = this.pair;
    return paretoTab({ trials: ctx.trials, metrics, pareto, x, y, searches: ctx.searches, selected });
  }
}
