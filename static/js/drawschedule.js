// Pure: when an analysis view is drawn. A view is drawn again only when what it shows changed
// (its signature: the trials' version and what they are shown for: filter and selection). A
// view that took longer than `slowMs` is redrawn for new trials alone at most once per
// `cooldown` times its drawing time, so a live 100,000-trial search does not keep the page busy;
// a person's choice (another filter or selection) is drawn at once.
export const SLOW_MS = 300;
export const COOLDOWN = 10;

export class DrawSchedule {
  constructor({ slowMs = SLOW_MS, cooldown = COOLDOWN, now = () => performance.now() } = {}) {
    this.slowMs = slowMs;
    this.cooldown = cooldown;
    this.now = now;
    this.drawn = {}; // view -> signature of what it shows (or is being drawn to show)
    this.shownFor = {}; // view -> the filter and selection it was drawn for
    this.timing = {}; // view -> {at, took} of its last finished draw (ms)
    this.pending = null; // a timer for a redraw put off by the cooldown
  }

  // What to do about `view` for the trials at `version` shown for `shownFor`: {skip} when it
  // shows that already, {wait: ms} while its cooldown runs, else {draw}.
  next(view, version, shownFor) {
    if (this.drawn[view] === `${version}|${shownFor}`) return { skip: true };
    const last = this.timing[view];
    if (last && this.shownFor[view] === shownFor && last.took > this.slowMs) {
      const wait = last.at + this.cooldown * last.took - this.now();
      if (wait > 0) return { wait };
    }
    return { draw: true };
  }

  // A draw of `view` starts; the function it returns records that it finished.
  start(view, version, shownFor) {
    this.drawn[view] = `${version}|${shownFor}`;
    this.shownFor[view] = shownFor;
    const t0 = this.now();
    return () => {
      const at = this.now();
      this.timing[view] = { at, took: at - t0 };
    };
  }

  signature(view) {
    return this.drawn[view];
  }

  // Draw `view` again on the next look, whatever it shows (its last draw failed).
  forget(view) {
    this.drawn[view] = null;
  }

  // Call `fn` in `wait` ms, unless a call is already due.
  later(wait, fn) {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      fn();
    }, wait);
  }
}
