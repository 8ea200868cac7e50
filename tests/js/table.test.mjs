// The trial table's columns, filter, sort, pages and exports (static/js/table.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  compareValues,
  filterTrials,
  pageCount,
  pageOf,
  sortTrials,
  tableColumns,
  toCSV,
  toJSON,
} from "../../static/js/table.js";
import { trial } from "./fixtures.mjs";

const TRIALS = [trial(1, 2), trial(2, null, {}, "failed"), trial(3, -1), trial(4, 2)];
const value = tableColumns([], []).find((c) => c.key === "value");

test("columns: the fixed ones, then parameters, then metrics; a clashing name is marked", () => {
  const columns = tableColumns(["lr", "value", "metric x"], ["acc"]);
  assert.deepEqual(columns.map((c) => c.label), [
    "#",
    "search",
    "state",
    "value",
    "duration (s)",
    "lr",
    "value (parameter)",
    "metric x (parameter)",
    "metric acc",
  ]);
  assert.equal(columns[8].get(trial(1, 0, {}, "complete", { metrics: { acc: 0.5 } })), 0.5);
});

test("sorting keeps missing values last either way, ties by id", () => {
  assert.deepEqual(sortTrials(TRIALS, value, false).map((t) => t.id), [3, 1, 4, 2]);
  assert.deepEqual(sortTrials(TRIALS, value, true).map((t) => t.id), [1, 4, 3, 2]);
  assert.ok(compareValues(1, "a") < 0 && compareValues("a10", "a9") > 0 && compareValues(null, 1) > 0);
});

test("the filter matches every word in the state or name=value, ignoring case", () => {
  const t = trial(1, 0, { solver: "Adam", lr: 0.1 });
  assert.equal(filterTrials([t], { text: "adam LR=0.1" }).length, 1);
  assert.equal(filterTrials([t], { text: "sgd" }).length, 0);
  assert.equal(filterTrials(TRIALS, { state: "failed" }).length, 1);
});

test("pages of fifty, at least one", () => {
  assert.equal(pageCount(0), 1);
  assert.equal(pageCount(101), 3);
  assert.deepEqual(pageOf([1, 2, 3, 4, 5], 1, 2), [3, 4]);
});

test("CSV quotes what needs it and defuses formulas", () => {
  const csv = toCSV([trial(1, 1, { a: "=SUM(A1)", b: 'x,"y"' })], tableColumns(["a", "b"], []).slice(3));
  assert.equal(csv, `value,duration (s),a,b\r\n1,,'=SUM(A1),"x,""y"""\r\n`);
});

test("JSON in the API's names", () => {
  const [row] = JSON.parse(toJSON([trial(1, 1, { a: 1 })]));
  assert.deepEqual(row, { id: 1, search_id: 1, number: 1, state: "complete", value: 1, duration: null, params: { a: 1 }, metrics: {} });
});

test("notes: a column when some trial has one, found by the filter, defused in CSV, in JSON", () => {
  assert.equal(tableColumns(["lr"], []).some((c) => c.key === "note"), false);
  const columns = tableColumns(["note"], [], true);
  assert.deepEqual(columns.map((c) => c.label).slice(-2), ["note (parameter)", "note"]);
  const noted = { ...trial(1, 1, { note: 3 }), note: "=cmd| diverged at step 40" };
  const plain = trial(2, 1, { note: 4 });
  assert.deepEqual(filterTrials([noted, plain], { text: "DIVERGED" }).map((t) => t.id), [1]);
  assert.equal(toCSV([noted, plain], columns.slice(-1)), "note\r\n'=cmd| diverged at step 40\r\n\r\n");
  const [first, second] = JSON.parse(toJSON([noted, plain]));
  assert.equal(first.note, "=cmd| diverged at step 40");
  assert.equal("note" in second, false);
});
