import assert from "node:assert/strict";
import { assertClose } from "../../lib/util/assert_close.ts";

Deno.test("assertClose() says so when by hand equals the library within the tolerance", () => {
  assert.equal(
    assertClose("softmax", [0.2, 0.8], [0.2000001, 0.7999999]),
    "✓ softmax (largest difference 1.0e-7)",
  );
  assert.equal(
    assertClose("a count", 448, 448, 0),
    "✓ a count (largest difference 0.0e+0)",
  );
  // The tolerance is relative to the size of the values: 0.01 on 1000 passes at 1e-5.
  assert.match(assertClose("a big sum", 1000.01, 1000), /^✓ a big sum/);
});

Deno.test("assertClose() throws past the tolerance, naming the worst pair", () => {
  assert.throws(() => assertClose("a gradient", [1, 2, 3], [1, 2.5, 3]), {
    name: "RangeError",
    message:
      "Cannot confirm a gradient: by hand 2 and the library 2.5 differ by more than 0.00003, received a difference of 0.5",
  });
  assert.throws(() => assertClose("a count", 447, 448, 0), {
    name: "RangeError",
    message:
      "Cannot confirm a count: by hand 447 and the library 448 differ by more than 0, received a difference of 1",
  });
});

Deno.test("assertClose() refuses NaN and lists of different lengths", () => {
  assert.throws(() => assertClose("x", [1, NaN], [1, 2]), {
    name: "RangeError",
    message:
      "Cannot confirm x: by hand NaN and the library 2 differ by more than 0.00002, received a difference of NaN",
  });
  assert.throws(() => assertClose("x", [1, 2], [1]), {
    name: "RangeError",
    message:
      "Cannot check x: by hand and the library must give as many values, received 2 and 1",
  });
});
