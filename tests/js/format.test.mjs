// The page's number, time and text formats (static/js/format.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { durationSeconds, escapeHtml, fmt, signed, timeText } from "../../static/js/format.js";

test("at most 4 significant digits, no trailing zeros", () => {
  assert.equal(fmt(0.0125), "0.0125");
  assert.equal(fmt(3.14159), "3.142");
  assert.equal(fmt(2.5), "2.5");
  assert.equal(fmt(-0.5), "-0.5");
});

test("scientific notation below 1e-3 and from 1e5 on, never SI suffixes", () => {
  assert.equal(fmt(2.574e-4), "2.574e-4");
  assert.equal(fmt(1e-6), "1e-6");
  assert.equal(fmt(150000.5), "1.5e+5");
  assert.equal(fmt(0.001), "0.001");
});

test("by the magnitude after rounding", () => {
  assert.equal(fmt(0.00099996), "0.001");
  assert.equal(fmt(99999.7), "1e+5");
});

test("whole numbers are never rounded", () => {
  assert.equal(fmt(123456), "123456");
  assert.equal(fmt(200000), "2e+5");
  assert.equal(fmt(0), "0");
  assert.equal(fmt(42), "42");
});

test("missing values are a dash; text and non-finite numbers as they are", () => {
  assert.equal(fmt(null), "–");
  assert.equal(fmt(undefined), "–");
  assert.equal(fmt("adam"), "adam");
  assert.equal(fmt(true), "true");
  assert.equal(fmt(Infinity), "Infinity");
  assert.equal(fmt(NaN), "NaN");
});

test("user text is escaped for plotly's HTML subset", () => {
  assert.equal(escapeHtml("<b>a & b</b>"), "&lt;b&gt;a &amp; b&lt;/b&gt;");
  assert.equal(escapeHtml(5), "5");
});

test("seconds between two times, none when either is missing", () => {
  assert.equal(durationSeconds("2024-01-01T00:00:00Z", "2024-01-01T00:01:30.5Z"), 90.5);
  assert.equal(durationSeconds(null, "2024-01-01T00:00:00Z"), null);
  assert.equal(durationSeconds("2024-01-01T00:00:00Z", null), null);
});

test("a time in UTC to the second, a dash when missing", () => {
  assert.equal(timeText("2024-03-05T07:08:09.123+02:00"), "2024-03-05 05:08:09 UTC");
  assert.equal(timeText(null), "–");
});

test("a gain keeps its sign, in the page's number format", () => {
  assert.equal(signed(0.2), "+0.2");
  assert.equal(signed(-5.354e-5), "-5.354e-5");
  assert.equal(signed(0), "0");
  assert.equal(signed(null), "–");
});
