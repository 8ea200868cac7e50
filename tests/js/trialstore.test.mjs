// The page's copy of the trials, merged from columnar updates (static/js/trialstore.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { TrialStore } from "../../static/js/trialstore.js";

function columns(rows, cursor, extra = {}) {
  return {
    id: rows.map((r) => r.id),
    search_id: rows.map(() => 1),
    number: rows.map((r) => r.id - 1),
    state: rows.map((r) => r.state || "complete"),
    value: rows.map((r) => r.value ?? null),
    duration: rows.map(() => 1.5),
    params: { lr: rows.map((r) => r.lr ?? null) },
    metrics: { acc: rows.map((r) => r.acc ?? null), text: rows.map(() => "n/a") },
    cursor,
    ...extra,
  };
}

test("a merge adds and replaces trials, without their missing values", () => {
  const store = new TrialStore();
  assert.equal(store.merge(columns([{ id: 1, value: 0.5, lr: 0.1 }, { id: 2, state: "running" }], 7)), 2);
  assert.deepEqual(store.trial(2).params, {});
  assert.deepEqual(store.trial(1), {
    id: 1,
    searchId: 1,
    number: 0,
    state: "complete",
    value: 0.5,
    params: { lr: 0.1 },
    metrics: { text: "n/a" },
    duration: 1.5,
    note: null,
  });
  const first = store.all();
  assert.equal(store.all(), first); // one shared array until something changes
  store.merge(columns([{ id: 2, value: 0.2, acc: 0.9 }], 9));
  assert.notEqual(store.all(), first);
  assert.equal(store.trial(2).value, 0.2);
  assert.deepEqual([store.cursor, store.version, store.all().length], [9, 2, 2]);
});

test("an empty update changes nothing, and the cursor never goes back", () => {
  const store = new TrialStore();
  store.merge(columns([{ id: 1 }], 5));
  assert.equal(store.merge(columns([], 3)), 0);
  assert.deepEqual([store.cursor, store.version], [5, 1]);
});

test("metric names: those that held a number for some trial, sorted", () => {
  const store = new TrialStore();
  store.merge(columns([{ id: 1 }], 1));
  assert.deepEqual(store.metricNames(), []);
  store.merge(columns([{ id: 2, acc: 0.5 }], 2, { metrics: { zeta: [1], acc: [0.5] } }));
  assert.deepEqual(store.metricNames(), ["acc", "zeta"]);
});

test("notes: a trial has the note its latest answer gives it, none when it gives none", () => {
  const store = new TrialStore();
  store.merge(columns([{ id: 1 }, { id: 2 }], 2, { notes: { 2: "<b>odd</b> run" } }));
  assert.deepEqual([store.trial(1).note, store.trial(2).note], [null, "<b>odd</b> run"]);
  assert.equal(store.hasNotes(), true);
  // A note's change is a trial change: the trial comes again, replaced, never added twice.
  store.merge(columns([{ id: 2 }], 3, { notes: { 2: "second thoughts" } }));
  assert.deepEqual([store.all().length, store.trial(2).note], [2, "second thoughts"]);
  store.merge(columns([{ id: 2 }], 4)); // cleared: in the answer, not in its notes
  assert.deepEqual([store.all().length, store.trial(2).note, store.hasNotes()], [2, null, false]);
});

// A binary answer as columns.js reads it: typed arrays, dictionary codes, NaN for null.
function binary(ids, cursor, { values, lr, solver, state } = {}) {
  const n = ids.length;
  return {
    id: Int32Array.from(ids),
    search_id: new Int8Array(n).fill(1),
    number: Int32Array.from(ids, (id) => id - 1),
    state: { codes: Int8Array.from(state || ids.map(() => 0)), values: ["complete", "failed"] },
    value: Float64Array.from(values || ids.map(() => NaN)),
    duration: new Float32Array(n).fill(0.5),
    params: {
      lr: Float64Array.from(lr || ids.map(() => NaN)),
      solver: { codes: Int8Array.from(solver || ids.map(() => -1)), values: ["sgd", "adam"] },
    },
    metrics: {},
    cursor,
  };
}

test("a merge keeps columns and builds no trial object; objects come when asked, once", () => {
  const store = new TrialStore();
  store.merge(binary([10, 11, 12], 3, { values: [0.5, NaN, 0.2], lr: [0.1, NaN, 0.3], solver: [1, -1, 0], state: [0, 1, 0] }));
  assert.equal(store.objectsBuilt, 0);
  const columns = store.columns();
  assert.equal(columns.n, 3);
  assert.deepEqual([...columns.id.slice(0, 3)], [10, 11, 12]);
  assert.ok(columns.value instanceof Float64Array && Number.isNaN(columns.value[1]));
  assert.deepEqual(columns.params.solver.values, ["sgd", "adam"]);
  assert.equal(store.objectsBuilt, 0);
  assert.deepEqual(store.trial(11), {
    id: 11, searchId: 1, number: 10, state: "failed", value: null, params: {}, metrics: {}, duration: 0.5, note: null,
  });
  assert.deepEqual(columns.trial(0).params, { lr: 0.1, solver: "adam" });
  assert.equal(store.objectsBuilt, 2);
  assert.equal(store.trial(11), store.trial(11)); // kept
  assert.equal(store.objectsBuilt, 2);
  assert.equal(store.trial(99), undefined);
});

test("later answers replace trials in place and append new ones, codes remapped", () => {
  const store = new TrialStore();
  store.merge(binary([1, 2], 2, { values: [1, 2], solver: [0, 1] }));
  const before = store.trial(2);
  // The next answer's dictionary lists its values in its own order.
  const next = binary([2, 3], 4, { values: [5, NaN], lr: [NaN, 0.01], solver: [0, 1] });
  next.params.solver.values = ["adam", "rmsprop"];
  delete next.params.lr; // trial 2 no longer has lr (nor trial 3)
  assert.equal(store.merge(next), 2);
  assert.equal(store.size, 3);
  assert.notEqual(store.trial(2), before); // a changed trial is a new object
  assert.deepEqual(store.all().map((t) => [t.id, t.value, t.params.solver]), [[1, 1, "sgd"], [2, 5, "adam"], [3, null, "rmsprop"]]);
  assert.deepEqual(store.all().map((t) => t.params.lr), [undefined, undefined, undefined]);
});

test("a column that was numbers takes text and booleans as codes, each kept apart", () => {
  const store = new TrialStore();
  store.merge(binary([1], 1, { lr: [1] }));
  const next = binary([2, 3], 2);
  next.params.lr = { codes: Int8Array.from([0, 1]), values: ["1", true] };
  store.merge(next);
  assert.deepEqual(store.all().map((t) => t.params.lr), [1, "1", true]);
  assert.ok(store.columns().params.lr.codes);
});

test("columns grow past what the first answer held", () => {
  const store = new TrialStore();
  store.merge(binary([1], 1, { values: [1] }));
  for (let k = 2; k <= 40; k += 1) store.merge(binary([k], k, { values: [k] }));
  const { n, value } = store.columns();
  assert.equal(n, 40);
  assert.deepEqual([...value.slice(0, n)], Array.from({ length: 40 }, (_, i) => i + 1));
  assert.equal(store.all().length, 40);
});

test("build() makes every trial object, a slice at a time, and all() then builds none", async () => {
  const store = new TrialStore();
  store.merge(binary([1, 2, 3, 4, 5], 5));
  await store.build(2);
  assert.equal(store.objectsBuilt, 5);
  assert.equal(store.all().length, 5);
  assert.equal(store.objectsBuilt, 5);
});
