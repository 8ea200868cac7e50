// The learning curves the page fetched (static/js/curvecache.js), with a fetch the test answers.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CurveCache } from "../../static/js/curvecache.js";
import { trial } from "./fixtures.mjs";

function served() {
  const asked = [];
  const fetchCurves = async (ids) => {
    asked.push(ids);
    return ids.map((id) => ({ trial_id: id, steps: [0, 1], values: [id, id / 2] }));
  };
  return { asked, cache: new CurveCache(fetchCurves) };
}

test("a finished trial's curve is fetched once; a running one's again", async () => {
  const { asked, cache } = served();
  const trials = [trial(1, 0.5), trial(2, null, {}, "running"), trial(3, null, {}, "pruned")];
  assert.deepEqual(cache.missing(trials), [1, 2, 3]);
  await cache.load(trials);
  assert.deepEqual(cache.get(1), { trial_id: 1, steps: [0, 1], values: [1, 0.5], final: true });
  assert.equal(cache.get(2).final, false);
  assert.deepEqual(cache.missing(trials), [2]);
  await cache.load(trials);
  assert.deepEqual(asked, [[1, 2, 3], [2]]);
});

test("nothing missing: nothing fetched", async () => {
  const { asked, cache } = served();
  await cache.load([]);
  assert.deepEqual(asked, []);
});

test("a failed fetch rejects and keeps what was held", async () => {
  const { cache } = served();
  await cache.load([trial(1, 0.5)]);
  cache.fetchCurves = async () => {
    throw new Error("down");
  };
  await assert.rejects(cache.load([trial(1, 0.5), trial(2, 0.1)]), /down/);
  assert.equal(cache.get(1).final, true);
  assert.equal(cache.get(2), undefined);
});
