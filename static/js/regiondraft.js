// Pure: the region panel's draft: what the box, the typed bounds, the ticked categories and
// the chosen narrowings ask of the server as a dry-run refine, and how its answer is read back.
// Whether a bound or a tick is valid is the server's to say; nothing here judges a region.
import { paramName } from "./axes.js";
import { boxRegion, categoryRange, valueRange } from "./plotbox.js";

// The parameters a region can narrow besides the plotted ones (fixed ones have nothing to narrow).
// `axes` are axis keys: the objective's axis "value" leaves a parameter named "value" off the
// plot, while "param:value" puts it on.
export function otherParams(space, axes) {
  const plotted = new Set(axes.map(paramName).filter((name) => name !== null));
  return Object.keys(space).filter((k) => !plotted.has(k) && space[k].type !== "fixed");
}

// The mode a parameter off the axes is in (`modes`: chosen ones; else "suggested" when the
// suggested region bounds it, else "keep") and the bounds it sends (null: the parent's).
// `ranges` are the last answer's ranges of the other parameters.
export function narrowing(name, { modes, suggested, ranges }) {
  const fromSuggestion = suggested && Object.hasOwn(suggested.region, name);
  const mode = modes[name] || (fromSuggestion ? "suggested" : "keep");
  const range = Object.hasOwn(ranges, name) ? ranges[name] : null;
  if (mode === "span") return [mode, range ? range.span : null];
  if (mode === "suggested") return [mode, fromSuggestion ? suggested.region[name] : range && range.suggested];
  return ["keep", null];
}

// The dry-run body for the box in `parentSpace` (its axes show `axisSpace`'s categories), the
// `typed` bounds ({name: {low?, high?}} as text), the `picked` categories and the narrowings;
// `unreadable`: typed text that is not a number at all (the one thing judged here: it cannot be
// sent).
export function draftBody({ box, parentSpace, axisSpace, typed, picked, modes, suggested, ranges }) {
  const region = boxRegion(box, parentSpace, axisSpace);
  const unreadable = {};
  for (const [name, text] of Object.entries(typed)) {
    if (!Object.hasOwn(region, name)) continue;
    region[name] = ["low", "high"].map((side, i) => {
      if (!(side in text)) return region[name][i];
      const v = text[side].trim() === "" ? NaN : Number(text[side]);
      if (!Number.isFinite(v)) unreadable[name] = { side, problem: "not a number" };
      return v;
    });
  }
  for (const [name, chosen] of Object.entries(picked)) {
    if (Object.hasOwn(region, name)) region[name] = chosen.filter((c) => parentSpace[name].choices.includes(c));
  }
  for (const name of otherParams(parentSpace, [box.x, box.y])) {
    const bounds = narrowing(name, { modes, suggested, ranges })[1];
    if (bounds) region[name] = bounds;
  }
  const body = { region, dry_run: true };
  const values = valueRange(box);
  if (values) body.value_range = values;
  return { body, unreadable };
}

// The box moved so that the parameter `name` spans `bounds` on whichever axis shows it.
export function boxWith(box, name, bounds, axisSpace) {
  const moved = { ...box };
  const spec = axisSpace[name];
  for (const axis of ["x", "y"]) {
    if (paramName(moved[axis]) !== name) continue;
    moved[`${axis}Range`] = spec.type === "categorical" ? categoryRange(bounds, spec.choices) : [...bounds];
  }
  return moved;
}

// What a parameter off the axes can be narrowed to: each mode's bounds or the problem that
// rules it out (a "…" while the answer is due), and the mode it is in (keep when its own is
// ruled out).
export function otherChoices(name, space, { modes, suggested, ranges }) {
  const range = Object.hasOwn(ranges, name) ? ranges[name] : null;
  const categorical = space[name].type === "categorical";
  const offer = (bounds, problem) => (bounds ? { bounds, categorical } : { problem: problem || "…" });
  const suggestion = suggested && Object.hasOwn(suggested.region, name) ? suggested.region[name] : null;
  const choices = {
    keep: null,
    span: offer(range && range.span, range && range.span_problem),
    suggested: offer(suggestion || (range && range.suggested), range && range.suggested_problem),
  };
  let [mode] = narrowing(name, { modes, suggested, ranges });
  if (choices[mode] && choices[mode].problem) mode = "keep";
  return { choices, mode };
}

// The answer's problems by parameter of `space` (with the typed text that is no number), and
// the rest (general ones).
export function sortProblems(problems, space, unreadable) {
  const byParam = {};
  const general = [];
  for (const problem of problems) {
    const name = problem.loc[2];
    if (name !== undefined && Object.hasOwn(space, name)) byParam[name] = problem.msg;
    else general.push(problem.msg);
  }
  for (const [name, u] of Object.entries(unreadable)) byParam[name] = u.problem;
  return { byParam, general };
}

// The note under a suggested region ("" when the box was not suggested): what it rests on,
// whether it was widened to keep the best trial so far, and where that trial is.
export function suggestedNote(suggested) {
  if (!suggested) return "";
  const s = suggested;
  if (s.span !== undefined) return `The span of the ${s.span} trial${s.span === 1 ? "" : "s"} selected on the trade-offs plot.`;
  const kept = s.best_inside;
  const widened = kept && s.widened && s.widened.length ? ` Widened ${s.widened.join(", ")} to keep trial ${kept.trial_id}, the best so far in this space.` : "";
  const outside = s.incumbent && !s.incumbent.inside ? ` The best trial so far (trial ${s.incumbent.trial_id}) lies outside this search's space.` : "";
  const left = kept && !kept.in_box ? ` The box leaves out trial ${kept.trial_id}.` : "";
  return `Suggested from the best of ${s.n_complete} completed trials.${widened}${outside}${left}${s.warning ? ` Careful: ${s.warning}.` : ""}`;
}
