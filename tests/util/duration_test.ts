import assert from "node:assert/strict";
import { formatDuration } from "../../lib/util/duration.ts";

Deno.test("formatDuration() shows seconds, minutes and hours compactly", () => {
  assert.equal(formatDuration(4.25), "4.3s");
  assert.equal(formatDuration(42.4), "42s");
  assert.equal(formatDuration(62), "1m02s");
  assert.equal(formatDuration(3 * 3600 + 5 * 60), "3h05m");
  assert.equal(formatDuration(Infinity), "?");
  assert.equal(formatDuration(NaN), "?");
});

Deno.test("formatDuration() rounds the total first, so no field reads 60", () => {
  const cases: [number, string][] = [
    [0, "0.0s"],
    [0.04, "0.0s"],
    [0.05, "0.1s"],
    [9.94, "9.9s"],
    [9.96, "10s"],
    [59.4, "59s"],
    [59.96, "1m00s"],
    [60, "1m00s"],
    [119.4, "1m59s"],
    [119.6, "2m00s"],
    [3599.4, "59m59s"],
    [3599.7, "1h00m"],
    [3600, "1h00m"],
    [3629, "1h00m"],
    [3631, "1h01m"],
    [7199.9, "2h00m"],
    [86399.6, "24h00m"],
    [90000, "25h00m"],
  ];
  for (const [seconds, text] of cases) {
    assert.equal(formatDuration(seconds), text, `${seconds} s`);
  }
});

Deno.test("formatDuration() puts a minus sign before a negative duration, not before zero", () => {
  assert.equal(formatDuration(-62), "-1m02s");
  assert.equal(formatDuration(-0.04), "0.0s");
});
