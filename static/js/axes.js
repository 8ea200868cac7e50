// What can go on an axis: every parameter of the space, the objective and the trial number.
export const VALUE = "value";
export const NUMBER = "number";

// Fixed parameters are left out: every trial has the same value.
export function axisChoices(space) {
  const params = Object.keys(space).filter((k) => space[k].type !== "fixed");
  return [...params, VALUE, NUMBER];
}

export function axisLabel(key, objective) {
  if (key === VALUE) return `objective (${objective})`;
  if (key === NUMBER) return "trial number";
  return key;
}

export function axisValue(trial, key) {
  if (key === VALUE) return trial.value;
  if (key === NUMBER) return trial.number;
  const v = trial.params[key];
  return v === undefined ? null : v;
}

// Plotly axis settings: log axes for log parameters, category axes for categories.
export function axisLayout(key, space, objective) {
  const spec = space[key];
  const layout = { title: { text: axisLabel(key, objective) }, automargin: true };
  if (spec && spec.type === "categorical") {
    layout.type = "category";
    layout.categoryorder = "array";
    layout.categoryarray = spec.choices.map(String);
  } else {
    layout.type = spec && spec.log ? "log" : "linear";
  }
  return layout;
}

// Categories are plotted as strings (so true, 1 and "1" stay apart from plotly's guesses).
export function plotValue(key, space, v) {
  const spec = space[key];
  return spec && spec.type === "categorical" && v !== null ? String(v) : v;
}
