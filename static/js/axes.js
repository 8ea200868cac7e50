// What can go on an axis: every parameter of the space, the objective, numeric metrics, the
// trial's duration and its number.
export const VALUE = "value";
export const NUMBER = "number";
export const DURATION = "duration";
const METRIC = "metric:";

export function metricKey(name) {
  return METRIC + name;
}

// Fixed parameters are left out: every trial has the same value.
export function axisChoices(space, metrics = []) {
  const params = Object.keys(space).filter((k) => space[k].type !== "fixed");
  return [...params, VALUE, ...metrics.map(metricKey), DURATION, NUMBER];
}

export function axisLabel(key, objective) {
  if (key === VALUE) return `objective (${objective})`;
  if (key === NUMBER) return "trial number";
  if (key === DURATION) return "duration (s)";
  if (key.startsWith(METRIC)) return `metric ${key.slice(METRIC.length)}`;
  return key;
}

export function axisValue(trial, key) {
  if (key === VALUE) return trial.value;
  if (key === NUMBER) return trial.number;
  if (key === DURATION) return trial.duration ?? null;
  const source = key.startsWith(METRIC) ? trial.metrics || {} : trial.params;
  const v = source[key.startsWith(METRIC) ? key.slice(METRIC.length) : key];
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
