// The page's reader of the binary columns (static/js/columns.js) against bytes the server wrote
// (tests/js/fixtures/columns.bin, checked by tests/api/test_columns_binary.py), and the trial
// store merging them as it merges the JSON answer of the same trials (fixtures/columns.json).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { cellReader, readColumns } from "../../static/js/columns.js";
import { TrialStore } from "../../static/js/trialstore.js";

const here = new URL("./fixtures/", import.meta.url);
const bytes = readFileSync(new URL("columns.bin", here));
const json = JSON.parse(readFileSync(new URL("columns.json", here), "utf8"));
// An ArrayBuffer of its own, as fetch's arrayBuffer() gives.
const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

const cells = (column) => Array.from({ length: json.id.length }, (_, i) => cellReader(column)(i));

test("every column reads back as the JSON answer says it", () => {
  const columns = readColumns(buffer);
  for (const name of ["id", "search_id", "number", "state", "value", "duration"]) {
    assert.deepEqual(cells(columns[name]), json[name], name);
  }
  for (const group of ["params", "metrics"]) {
    assert.deepEqual(Object.keys(columns[group]), Object.keys(json[group]), group);
    for (const [name, column] of Object.entries(columns[group])) {
      assert.deepEqual(cells(column), json[group][name], `${group}.${name}`);
    }
  }
  assert.equal(columns.cursor, json.cursor);
  assert.equal(columns.metrics_omitted, json.metrics_omitted);
  assert.deepEqual(columns.notes, json.notes);
});

test("numbers are typed arrays onto the answer's bytes, text is dictionary codes", () => {
  const columns = readColumns(buffer);
  assert.ok(columns.id instanceof Int8Array || columns.id instanceof Int32Array);
  assert.equal(columns.id.buffer, buffer);
  assert.ok(columns.value instanceof Float32Array); // halves: float32 holds them exactly
  assert.ok(columns.params.lr instanceof Float64Array);
  assert.deepEqual(columns.state.values.sort(), ["complete", "failed", "pruned", "running"]);
  assert.ok(columns.params.solver.codes instanceof Int8Array);
});

test("the store holds the same trials from either answer", () => {
  const fromJson = new TrialStore();
  const fromBinary = new TrialStore();
  assert.equal(fromBinary.merge(readColumns(buffer)), fromJson.merge(json));
  assert.deepEqual(fromBinary.all(), fromJson.all());
  assert.deepEqual(fromBinary.metricNames(), fromJson.metricNames());
  assert.equal(fromBinary.cursor, fromJson.cursor);
  assert.equal(fromBinary.hasNotes(), true);
});

test("what is not binary columns is refused", () => {
  assert.throws(() => readColumns(new TextEncoder().encode('{"id": []}').buffer), /not binary/);
});
