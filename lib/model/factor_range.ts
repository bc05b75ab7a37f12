/**
 * The ranges the augmentation layers take as options (Keras' `factor`,
 * `height_factor`, …): one number `f`, meaning `[-f, f]`, or a
 * `[lower, upper]` pair, checked against the bounds each layer allows.
 *
 * @module
 */

/** A range given as one number `f` (meaning `[-f, f]`) or as `[lower, upper]`. */
export type FactorRange = number | [number, number];

/**
 * Turns a factor option (one number `f`, meaning `[-f, f]`, or a
 * `[lower, upper]` pair) into `[lower, upper]` and checks that both ends lie
 * in `[min, max]` (`min` excluded when `minOpen`). The augmentation layers
 * use it to check their options.
 *
 * @param layer Class name of the layer, for the error message.
 * @param name Name of the option, for the error message.
 * @param factor The option as given.
 * @param min Smallest allowed end.
 * @param max Largest allowed end.
 * @param minOpen Whether `min` itself is excluded.
 * @returns The range `[lower, upper]`.
 * @throws {RangeError} When a number is negative, an end lies outside the bounds, or lower > upper.
 * @throws {TypeError} When the factor is neither a number nor a pair of numbers.
 *
 * @example One number is a symmetric range
 * ```ts
 * import assert from "node:assert/strict";
 * import { factorRange } from "./factor_range.ts";
 *
 * assert.deepEqual(factorRange("MyLayer", "factor", 0.2, -1, 1, false), [-0.2, 0.2]);
 * assert.throws(() => factorRange("MyLayer", "factor", [0.5, 0.1], -1, 1, false), RangeError);
 * ```
 */
export function factorRange(
  layer: string,
  name: string,
  factor: FactorRange,
  min: number,
  max: number,
  minOpen: boolean,
): [number, number] {
  const shown = Array.isArray(factor) ? `[${factor.join(", ")}]` : `${factor}`;
  let range: [number, number];
  if (typeof factor === "number") {
    if (!(factor >= 0)) {
      throw new RangeError(
        `Cannot create ${layer}: ${name} must be a number >= 0 or a [lower, upper] pair, received ${shown}`,
      );
    }
    range = [-factor, factor];
  } else if (
    Array.isArray(factor) && factor.length === 2 &&
    factor.every((v) => typeof v === "number")
  ) {
    range = [factor[0], factor[1]];
  } else {
    throw new TypeError(
      `Cannot create ${layer}: ${name} must be a number or a [lower, upper] pair, received ${shown}`,
    );
  }
  const [lower, upper] = range;
  const inside = (v: number) =>
    Number.isFinite(v) && (minOpen ? v > min : v >= min) && v <= max;
  if (!inside(lower) || !inside(upper) || lower > upper) {
    throw new RangeError(
      `Cannot create ${layer}: ${name} must lie in ${
        minOpen ? "(" : "["
      }${min}, ${max}] with lower <= upper, received ${shown}`,
    );
  }
  return range;
}
