// How much of the objective each parameter explains (static/js/importance.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { explainedShare, importance, ranks } from "../../static/js/importance.js";
import { trial } from "./fixtures.mjs";

test("ranks average over ties", () => {
  assert.deepEqual(ranks([10, 30, 20, 30]), [0, 2.5, 1, 2.5]);
});

test("the explained share: all of it for groups apart, none for one group or chance", () => {
  assert.equal(explainedShare(["a", "a", "b", "b"], [0, 0, 1, 1]), 1);
  assert.equal(explainedShare(["a", "a", "a"], [0, 1, 2]), 0);
  assert.equal(explainedShare(["a", "b", "a", "b"], [0, 0, 1, 1]), 0);
});

test("a parameter that drives the objective ranks first; one that does not, near nothing", () => {
  let seed = 11;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const space = {
    lr: { type: "float", low: 1e-6, high: 1, log: true },
    noise: { type: "float", low: 0, high: 1 },
    opt: { type: "categorical", choices: ["sgd", "adam"] },
    fixed: { type: "fixed", value: 3 },
  };
  const trials = Array.from({ length: 300 }, (_, i) => {
    const params = { lr: 10 ** (-6 + 6 * random()), noise: random(), opt: random() < 0.5 ? "sgd" : "adam" };
    return trial(i + 1, (Math.log10(params.lr) + 3) ** 2 + (params.opt === "sgd" ? 3 : 0) + 0.1 * random(), params);
  });
  trials[0] = { ...trials[0], value: 1e12 }; // one diverged trial does not swamp the rest
  const ranking = importance(trials, space);
  assert.deepEqual(ranking.map((r) => r.name), ["lr", "opt", "noise"]);
  assert.ok(ranking[0].score > 0.5 && ranking[1].score > 0.1 && ranking[2].score < 0.05);
  assert.ok(Math.abs(ranking.reduce((sum, r) => sum + r.share, 0) - 1) < 1e-12);
});

test("too few finished trials: no score", () => {
  const trials = Array.from({ length: 7 }, (_, i) => trial(i + 1, i, { x: i }));
  trials.push(trial(8, null, { x: 8 }, "failed"));
  assert.deepEqual(importance(trials, { x: { type: "float", low: 0, high: 9 } }), [
    { name: "x", score: null, n: 7, share: null },
  ]);
});
