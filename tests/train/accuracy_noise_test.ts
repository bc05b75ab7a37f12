import assert from "node:assert/strict";
import { accuracyStandardError } from "../../lib/train/accuracy_noise.ts";

Deno.test("accuracyStandardError() is sqrt(p(1-p)/n)", () => {
  assert.equal(accuracyStandardError(0.5, 100), 0.05);
  assert.equal(accuracyStandardError(0, 5), 0);
  assert.ok(Math.abs(accuracyStandardError(0.732, 734) - 0.01635) < 1e-5);
});

Deno.test("accuracyStandardError() rejects impossible inputs", () => {
  assert.throws(() => accuracyStandardError(1.5, 10), {
    name: "RangeError",
    message:
      "Cannot compute standard error: accuracy must be in [0, 1], received 1.5",
  });
  assert.throws(() => accuracyStandardError(0.5, 0), {
    name: "RangeError",
    message:
      "Cannot compute standard error: n must be a positive integer, received 0",
  });
});
