/**
 * How much an accuracy measured on n photos moves by chance: each photo is
 * right or wrong, so the count of right answers is binomial and the measured
 * accuracy p has a standard error of sqrt(p(1 − p)/n).
 *
 * @module
 */

/**
 * The binomial standard error of an accuracy measured on `n` photos.
 *
 * @param accuracy The measured accuracy, in [0, 1].
 * @param n How many photos it was measured on.
 * @returns sqrt(accuracy · (1 − accuracy) / n).
 * @throws {RangeError} When `accuracy` is outside [0, 1] or `n` is not a positive integer.
 *
 * @example 73% right on 734 validation photos: about ±1.6 points
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracyStandardError } from "./accuracy_noise.ts";
 *
 * assert.equal(accuracyStandardError(0.73, 734).toFixed(4), "0.0164");
 * assert.equal(accuracyStandardError(1, 10), 0);
 * ```
 */
export function accuracyStandardError(accuracy: number, n: number): number {
  if (!(accuracy >= 0 && accuracy <= 1)) {
    throw new RangeError(
      `Cannot compute standard error: accuracy must be in [0, 1], received ${accuracy}`,
    );
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `Cannot compute standard error: n must be a positive integer, received ${n}`,
    );
  }
  return Math.sqrt(accuracy * (1 - accuracy) / n);
}
