// Pure: what the region panel keeps in the link (narrowed parameters, ticked categories), and
// which parameters are off the plot's axes. Whether a bound or a tick is valid is the server's
// to say (a dry-run refine); nothing here judges a region.
import { paramName } from "./axes.js";

// The parameters a region can narrow besides the plotted ones (fixed ones have nothing to narrow).
// `axes` are axis keys: the objective's axis "value" leaves a parameter named "value" off the
// plot, while "param:value" puts it on.
export function otherParams(space, axes) {
  const plotted = new Set(axes.map(paramName).filter((name) => name !== null));
  return Object.keys(space).filter((k) => !plotted.has(k) && space[k].type !== "fixed");
}

// How the parameters off the axes are narrowed travels in the link as repeated
// `narrow=name` (the selected span) and `narrow=name:suggested`.
export function withNarrowing(query, modes) {
  const p = new URLSearchParams(query);
  p.delete("narrow");
  for (const [name, mode] of Object.entries(modes)) {
    if (mode === "span") p.append("narrow", name);
    if (mode === "suggested") p.append("narrow", `${name}:suggested`);
  }
  return `?${p.toString()}`;
}

export function readNarrowing(query) {
  return Object.fromEntries(
    new URLSearchParams(query).getAll("narrow").map((text) => {
      const suggested = text.endsWith(":suggested");
      return suggested ? [text.slice(0, -":suggested".length), "suggested"] : [text, "span"];
    }),
  );
}

// Choices are matched by value and type: a space may hold both 1 and "1", or true and "true".
const positions = (chosen, choices) => chosen.map((c) => choices.indexOf(c)).filter((i) => i >= 0);

// The range on a category axis (positions of `axisChoices`) that covers the `chosen` ones; the
// categories between them are on the plot's box, not in the region.
export function categoryRange(chosen, axisChoices) {
  const at = positions(chosen, axisChoices);
  return [Math.min(...at) - 0.4, Math.max(...at) + 0.4];
}

// Ticked categories travel in the link as `pick=name:i,j` (indices into the parent's choices).
export function withPicks(query, picked, space) {
  const p = new URLSearchParams(query);
  p.delete("pick");
  for (const [name, chosen] of Object.entries(picked)) {
    const at = positions(chosen, space[name]?.choices || []);
    if (at.length) p.append("pick", `${name}:${at.join(",")}`);
  }
  return `?${p.toString()}`;
}

export function readPicks(query, space) {
  const picked = {};
  for (const text of new URLSearchParams(query).getAll("pick")) {
    const cut = text.lastIndexOf(":");
    if (cut < 0) continue;
    const spec = Object.hasOwn(space, text.slice(0, cut)) ? space[text.slice(0, cut)] : null;
    if (!spec || spec.type !== "categorical") continue;
    const at = text.slice(cut + 1).split(",").filter((i) => /^\d+$/.test(i)).map(Number);
    const chosen = spec.choices.filter((_, i) => at.includes(i));
    if (chosen.length) picked[text.slice(0, cut)] = chosen;
  }
  return picked;
}
