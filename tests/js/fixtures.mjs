// Shared inputs of the node unit tests of static/js (run by `node --test tests/js/`).
import assert from "node:assert/strict";

export const LR = { type: "float", low: 1e-6, high: 1, log: true };
export const CAT = { type: "categorical", choices: [1, 3, 5] };
// Choices alike as text but not in type.
export const TWINS = { type: "categorical", choices: [1, "1", true, "true"] };
// Parameters named like the page's built-in axes: "value" and "duration".
export const CLASH = {
  value: { type: "float", low: 10, high: 20 },
  duration: { type: "float", low: 1e-3, high: 1, log: true },
  x: { type: "float", low: 0, high: 1 },
};

// A trial as the page holds it (trialstore.js).
export function trial(id, value, params = {}, state = "complete", extra = {}) {
  return { id, searchId: 1, number: id, state, value, params, metrics: {}, duration: null, ...extra };
}

// Numbers (or arrays of them) equal within `tolerance`, relative to their size.
export function close(actual, expected, tolerance = 1e-9) {
  if (Array.isArray(expected)) {
    assert.equal(actual.length, expected.length, `${actual} vs ${expected}`);
    expected.forEach((e, i) => close(actual[i], e, tolerance));
    return;
  }
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance * scale, `${actual} is not close to ${expected}`);
}
