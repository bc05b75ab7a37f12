import assert from "node:assert/strict";
import { factorRange } from "../../lib/model/factor_range.ts";

Deno.test("factorRange() reads one number f as [-f, f] and a pair as given", () => {
  assert.deepEqual(factorRange("L", "factor", 0.3, -1, 1, false), [-0.3, 0.3]);
  assert.deepEqual(factorRange("L", "factor", 1, -1, 1, false), [-1, 1]);
  assert.deepEqual(
    factorRange("L", "factor", [-0.2, 0.5], -1, 1, false),
    [-0.2, 0.5],
  );
  // The bounds themselves are allowed unless minOpen excludes the lower one.
  assert.deepEqual(factorRange("L", "factor", [-1, 1], -1, 1, false), [-1, 1]);
  assert.deepEqual(
    factorRange("L", "factor", [-0.99, 1], -1, 1, true),
    [-0.99, 1],
  );
});

Deno.test("factorRange() names the layer, the option and the bounds when it refuses a factor", () => {
  assert.throws(
    () => factorRange("RandomZoom", "heightFactor", [-1, 0], -1, 1, true),
    new RangeError(
      "Cannot create RandomZoom: heightFactor must lie in (-1, 1] with lower <= upper, received [-1, 0]",
    ),
  );
  assert.throws(
    () => factorRange("L", "factor", [0.5, 0.1], -1, 1, false),
    new RangeError(
      "Cannot create L: factor must lie in [-1, 1] with lower <= upper, received [0.5, 0.1]",
    ),
  );
  assert.throws(
    () => factorRange("L", "factor", NaN, -1, 1, false),
    new RangeError(
      "Cannot create L: factor must be a number >= 0 or a [lower, upper] pair, received NaN",
    ),
  );
  assert.throws(
    () => factorRange("L", "factor", [0, Infinity], -1, 1, false),
    new RangeError(
      "Cannot create L: factor must lie in [-1, 1] with lower <= upper, received [0, Infinity]",
    ),
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => factorRange("L", "factor", [0.1, 0.2, 0.3] as any, -1, 1, false),
    new TypeError(
      "Cannot create L: factor must be a number or a [lower, upper] pair, received [0.1, 0.2, 0.3]",
    ),
  );
});
