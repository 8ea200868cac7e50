// Pure: the view's state <-> the page's query string, so a link shows someone the same view:
// the axes, filters, box and tab (readState, writeState), and the region panel's own part (how
// the parameters off the axes are narrowed, which categories are ticked).
import { positions } from "./plotbox.js";
function numbers(text, n) {
  if (!text) return null;
  const parts = text.split(",").map(Number);
  return parts.length === n && parts.every(Number.isFinite) ? parts : null;
}

function id(text) {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : null;
}

// Returns {x, y, color, parent, search, showFailed, box, view}; what is missing or malformed is
// null (showFailed defaults to true). The box's axes are x and y; view is the analysis tab.
export function readState(query) {
  const p = new URLSearchParams(query);
  const b = numbers(p.get("box"), 4);
  return {
    x: p.get("x"),
    y: p.get("y"),
    color: p.get("color"),
    parent: id(p.get("parent")),
    search: id(p.get("search")),
    showFailed: p.get("failed") !== "0",
    box: b ? { xRange: [b[0], b[1]], yRange: [b[2], b[3]] } : null,
    view: p.get("view"),
  };
}

// Only what differs from the page's defaults is written, except the axes (always written).
export function writeState({ x, y, color, parent, search, showFailed, box, view }) {
  const p = new URLSearchParams();
  p.set("x", x);
  p.set("y", y);
  p.set("color", color);
  if (parent !== null && parent !== undefined) p.set("parent", String(parent));
  if (search !== null && search !== undefined) p.set("search", String(search));
  if (!showFailed) p.set("failed", "0");
  if (box && box.x === x && box.y === y) p.set("box", [...box.xRange, ...box.yRange].join(","));
  if (view && view !== "history") p.set("view", view);
  return `?${p.toString()}`;
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
