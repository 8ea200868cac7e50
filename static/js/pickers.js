// The axis pickers and other <select>s of the experiment page.
import { VALUE, axisChoices, axisLabel, paramSpec } from "./axes.js";

export const AXES = ["x-axis", "y-axis", "color-axis"];

export function fillSelect(select, options, selected) {
  select.replaceChildren(
    ...options.map(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      option.selected = value === selected;
      return option;
    }),
  );
}

// Fill the axis pickers with `wanted`'s choices where they are offered, else the defaults:
// the first log parameter against the objective, coloured by the objective.
export function fillAxisPickers(space, objective, metrics, wanted) {
  const keys = axisChoices(space, metrics);
  const options = keys.map((k) => [k, axisLabel(k, objective)]);
  const firstLog = keys.find((k) => paramSpec(k, space)?.log) || keys[0];
  const pick = (key, fallback) => (keys.includes(key) ? key : fallback);
  const $ = (id) => document.getElementById(id);
  fillSelect($("x-axis"), options, pick(wanted.x, firstLog));
  fillSelect($("y-axis"), options, pick(wanted.y, VALUE));
  fillSelect($("color-axis"), options, pick(wanted.color, VALUE));
}

export function currentAxes() {
  const $ = (id) => document.getElementById(id);
  return { x: $("x-axis").value, y: $("y-axis").value, color: $("color-axis").value };
}
