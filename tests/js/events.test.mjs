// The page parts' event emitter (static/js/events.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { Emitter } from "../../static/js/events.js";

test("listeners hear their event, in the order they were added, with its arguments", () => {
  const heard = [];
  const emitter = new Emitter()
    .on("box", (...args) => heard.push(["first", ...args]))
    .on("box", () => heard.push(["second"]))
    .on("other", () => heard.push(["other"]));
  emitter.emit("box", 1, "two");
  assert.deepEqual(heard, [["first", 1, "two"], ["second"]]);
});

test("an event nobody listens to is nothing", () => {
  assert.doesNotThrow(() => new Emitter().emit("nothing"));
});

test("a subclass emits its own events", () => {
  class Part extends Emitter {
    moved() {
      this.emit("moved", this);
    }
  }
  const part = new Part();
  let heard = null;
  part.on("moved", (who) => (heard = who));
  part.moved();
  assert.equal(heard, part);
});
