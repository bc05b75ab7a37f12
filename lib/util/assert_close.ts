/**
 * The referee of a notebook that works things out by hand: a result
 * computed by hand (a softmax, a gradient, one pixel of a convolution) must
 * equal TensorFlow.js' own, or the notebook stops there, so no page shows a
 * by-hand computation that disagrees with the library.
 *
 * @module
 */

/**
 * Checks that a result worked out by hand equals the library's within a
 * tolerance, and says so in one line.
 *
 * @param what What was computed, for the message.
 * @param byHand The by-hand result: a number or a list of numbers.
 * @param library The library's result, the same length.
 * @param tolerance Largest accepted difference, relative to the largest of
 *   the library's values in size (or to 1 when they are all smaller): 0
 *   asks for exact equality.
 * @returns `"✓ <what> (largest difference 3.0e-8)"`.
 * @throws {RangeError} When the lengths differ, or any difference (or a NaN)
 *   is past the tolerance: the message names both values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertClose } from "./assert_close.ts";
 *
 * assert.equal(assertClose("a sum", 0.1 + 0.2, 0.3), "✓ a sum (largest difference 5.6e-17)");
 * assert.throws(() => assertClose("a sum", [1, 2], [1, 2.5]), RangeError);
 * ```
 */
export function assertClose(
  what: string,
  byHand: number | ArrayLike<number>,
  library: number | ArrayLike<number>,
  tolerance = 1e-5,
): string {
  const [a, b] = [byHand, library].map((v) =>
    typeof v === "number" ? [v] : Array.from(v)
  );
  if (a.length !== b.length) {
    throw new RangeError(
      `Cannot check ${what}: by hand and the library must give as many values, received ${a.length} and ${b.length}`,
    );
  }
  let [diff, size, worst] = [0, 1, 0];
  b.forEach((v, i) => {
    const d = Math.abs(a[i] - v);
    if (!(d <= diff)) [diff, worst] = [d, i]; // NaN is caught here too
    size = Math.max(size, Math.abs(v));
  });
  if (!(diff <= tolerance * size)) {
    throw new RangeError(
      `Cannot confirm ${what}: by hand ${a[worst]} and the library ${
        b[worst]
      } differ by more than ${
        Number((tolerance * size).toPrecision(2))
      }, received a difference of ${diff}`,
    );
  }
  return `✓ ${what} (largest difference ${diff.toExponential(1)})`;
}
