// Pure: the view's state <-> the page's query string, so a link shows someone the same view.
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
