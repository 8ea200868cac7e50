// A tab list (the WAI-ARIA tabs pattern): one tab per [role="tab"] under `root`, showing the
// [role="tabpanel"] of the same data-view; a click, the arrow keys, Home and End select a tab.
export class Tabs {
  // `onSelect(view)` hears a tab selected by the person (not the one the page starts on).
  constructor(root, { views, active, onSelect }) {
    this.root = root;
    this.views = views;
    this.active = views.includes(active) ? active : views[0];
    this.onSelect = onSelect;
    this.tabs = [...root.querySelectorAll('[role="tab"]')];
    this.tabs.forEach((tab, i) => {
      tab.addEventListener("click", () => this.select(tab.dataset.view));
      tab.addEventListener("keydown", (event) => this.onKey(event, i));
    });
    this.mark();
  }

  panel(view) {
    return this.root.querySelector(`[role="tabpanel"][data-view="${view}"]`);
  }

  select(view) {
    if (!this.views.includes(view) || view === this.active) return;
    this.active = view;
    this.mark();
    this.onSelect(view);
  }

  // Keys move among the tabs on offer (a hidden one, such as the trade-offs of a single
  // objective, is skipped).
  onKey(event, i) {
    const shown = this.tabs.filter((tab) => !tab.hidden);
    const n = shown.length;
    const at = Math.max(0, shown.indexOf(this.tabs[i]));
    const to = { ArrowRight: (at + 1) % n, ArrowLeft: (at - 1 + n) % n, Home: 0, End: n - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    shown[to].focus();
    this.select(shown[to].dataset.view);
  }

  mark() {
    for (const tab of this.tabs) {
      const on = tab.dataset.view === this.active;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      this.panel(tab.dataset.view).hidden = !on;
    }
  }
}
