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
  assert.deepEqual(store.byId.get(2).params, {});
  assert.deepEqual(store.byId.get(1), {
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
  assert.equal(store.byId.get(2).value, 0.2);
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
  assert.deepEqual([store.byId.get(1).note, store.byId.get(2).note], [null, "<b>odd</b> run"]);
  assert.equal(store.hasNotes(), true);
  // A note's change is a trial change: the trial comes again, replaced, never added twice.
  store.merge(columns([{ id: 2 }], 3, { notes: { 2: "second thoughts" } }));
  assert.deepEqual([store.all().length, store.byId.get(2).note], [2, "second thoughts"]);
  store.merge(columns([{ id: 2 }], 4)); // cleared: in the answer, not in its notes
  assert.deepEqual([store.all().length, store.byId.get(2).note, store.hasNotes()], [2, null, false]);
});
