// What can go on an axis: every parameter of the space, the objective, numeric metrics, the
// trial's duration and its number. Each has a key (the <select>'s value, kept in the URL): a
// parameter's key is its name, unless the name reads like a built-in key ("value", "number",
// "duration", "metric:…", "param:…"); then it is "param:" + name, so the two never clash.
import { valueLabel } from "./labels.js";

export const VALUE = "value";
export const NUMBER = "number";
export const DURATION = "duration";
const METRIC = "metric:";
export const METRIC_PREFIX = METRIC; // a metric's axis key is this and its name
const PARAM = "param:";
const BUILT_IN = new Set([VALUE, NUMBER, DURATION]);

export function metricKey(name) {
  return METRIC + name;
}

export function paramKey(name) {
  const clashes = BUILT_IN.has(name) || name.startsWith(METRIC) || name.startsWith(PARAM);
  return clashes ? PARAM + name : name;
}

// The parameter an axis key names, or null for the built-in axes.
export function paramName(key) {
  if (key.startsWith(PARAM)) return key.slice(PARAM.length);
  if (BUILT_IN.has(key) || key.startsWith(METRIC)) return null;
  return key;
}

// The spec of the parameter an axis key names (undefined for built-in axes).
export function paramSpec(key, space) {
  const name = paramName(key);
  return name !== null && Object.hasOwn(space, name) ? space[name] : undefined;
}

// Fixed parameters are left out: every trial has the same value.
export function axisChoices(space, metrics = []) {
  const params = Object.keys(space).filter((k) => space[k].type !== "fixed");
  return [...params.map(paramKey), VALUE, ...metrics.map(metricKey), DURATION, NUMBER];
}

export function axisLabel(key, objective) {
  if (key === VALUE) return valueLabel(objective); // what it measures: "validation accuracy"
  if (key === NUMBER) return "trial number";
  if (key === DURATION) return "duration (s)";
  if (key.startsWith(METRIC)) return `metric ${key.slice(METRIC.length)}`;
  const name = paramName(key);
  return name === key ? name : `${name} (parameter)`;
}

export function axisValue(trial, key) {
  if (key === VALUE) return trial.value;
  if (key === NUMBER) return trial.number;
  if (key === DURATION) return trial.duration ?? null;
  const metric = key.startsWith(METRIC);
  const source = metric ? trial.metrics || {} : trial.params;
  const name = metric ? key.slice(METRIC.length) : paramName(key);
  return Object.hasOwn(source, name) ? source[name] : null;
}

// Plotly axis settings: log axes for log parameters, category axes for categories; numbers
// never get SI suffixes ("10µ").
export function axisLayout(key, space, objective) {
  const spec = paramSpec(key, space);
  const layout = { title: { text: axisLabel(key, objective) }, automargin: true, exponentformat: "e" };
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
  const spec = paramSpec(key, space);
  return spec && spec.type === "categorical" && v !== null ? String(v) : v;
}
