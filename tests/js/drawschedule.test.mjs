// When an analysis view is drawn (static/js/drawschedule.js), on a clock the test moves.
import assert from "node:assert/strict";
import { test } from "node:test";

import { COOLDOWN, DrawSchedule, SLOW_MS } from "../../static/js/drawschedule.js";

function clocked() {
  const clock = { t: 1000 };
  return { clock, schedule: new DrawSchedule({ now: () => clock.t }) };
}

// Draw `view` taking `took` ms on the test's clock.
function draw(schedule, clock, view, version, shownFor, took) {
  const finished = schedule.start(view, version, shownFor);
  clock.t += took;
  finished();
}

test("a view is drawn once for what it shows", () => {
  const { clock, schedule } = clocked();
  assert.deepEqual(schedule.next("history", 1, "all|"), { draw: true });
  draw(schedule, clock, "history", 1, "all|", 10);
  assert.deepEqual(schedule.next("history", 1, "all|"), { skip: true });
  assert.deepEqual(schedule.next("history", 2, "all|"), { draw: true }); // new trials, a fast view
  assert.deepEqual(schedule.next("splom", 1, "all|"), { draw: true }); // views are apart
});

test("a slow view waits for new trials until its cooldown ran out", () => {
  const { clock, schedule } = clocked();
  draw(schedule, clock, "splom", 1, "all|0", 400);
  const at = clock.t;
  clock.t += 1000;
  assert.deepEqual(schedule.next("splom", 2, "all|0"), { wait: at + COOLDOWN * 400 - clock.t });
  clock.t = at + COOLDOWN * 400;
  assert.deepEqual(schedule.next("splom", 2, "all|0"), { draw: true });
});

test("a person's choice (another filter or selection) is drawn at once, however slow", () => {
  const { clock, schedule } = clocked();
  draw(schedule, clock, "splom", 1, "all|0", 5000);
  assert.deepEqual(schedule.next("splom", 1, "search 3|0"), { draw: true });
  assert.deepEqual(schedule.next("splom", 1, "all|1"), { draw: true });
});

test("a view just under the slow mark is not held back", () => {
  const { clock, schedule } = clocked();
  draw(schedule, clock, "parcoords", 1, "all|0", SLOW_MS);
  assert.deepEqual(schedule.next("parcoords", 2, "all|0"), { draw: true });
});

test("a draw under way counts as drawn; a failed one is forgotten", () => {
  const { schedule } = clocked();
  schedule.start("curves", 1, "all|0");
  assert.equal(schedule.signature("curves"), "1|all|0");
  assert.deepEqual(schedule.next("curves", 1, "all|0"), { skip: true });
  schedule.forget("curves");
  assert.deepEqual(schedule.next("curves", 1, "all|0"), { draw: true });
});

test("a put-off redraw is due once, however often it is asked for", async () => {
  const { schedule } = clocked();
  let calls = 0;
  schedule.later(5, () => (calls += 1));
  schedule.later(1, () => (calls += 10));
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(calls, 1);
  schedule.later(1, () => (calls += 1)); // due again once it ran
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(calls, 2);
});
