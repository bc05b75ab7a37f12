import assert from "node:assert/strict";
import { keepRegion } from "../../lib/explain/keep_region.ts";

/** A 4×4 RGB photo whose pixel (y, x) is (10y + x, 100, 200). */
function photo(): Uint8Array {
  return Uint8Array.from({ length: 48 }, (_, i) => {
    const [p, c] = [Math.floor(i / 3), i % 3];
    return c === 0 ? 10 * Math.floor(p / 4) + (p % 4) : c === 1 ? 100 : 200;
  });
}

/** The red value of each pixel, row by row. */
const reds = (pixels: Uint8Array) => pixels.filter((_, i) => i % 3 === 0);

Deno.test("keepRegion() keeps the centre and paints the border, or the other way round", () => {
  const original = photo();
  const region: [number, number, number, number] = [1, 1, 2, 2];
  const centre = keepRegion(original, { size: [4, 4], region, keep: "inside" });
  assert.deepEqual(Array.from(reds(centre)), [
    128,
    128,
    128,
    128,
    128,
    11,
    12,
    128,
    128,
    21,
    22,
    128,
    128,
    128,
    128,
    128,
  ]);
  const border = keepRegion(original, {
    size: [4, 4],
    region,
    keep: "outside",
    fill: 0,
  });
  assert.deepEqual(Array.from(reds(border)), [
    0,
    1,
    2,
    3,
    10,
    0,
    0,
    13,
    20,
    0,
    0,
    23,
    30,
    31,
    32,
    33,
  ]);
  // A painted pixel has all three channels painted; a kept one keeps all three.
  assert.deepEqual(Array.from(border.slice(15, 18)), [0, 0, 0]);
  assert.deepEqual(Array.from(border.slice(12, 15)), [10, 100, 200]);
  // The photo itself is not changed.
  assert.deepEqual(original, photo());
});

Deno.test("keepRegion() refuses a photo of another size and a region outside it", () => {
  assert.throws(
    () =>
      keepRegion(new Uint8Array(47), {
        size: [4, 4],
        region: [0, 0, 1, 1],
        keep: "inside",
      }),
    {
      name: "RangeError",
      message:
        "Cannot keep a region: image must have 4·4·3 = 48 values, received 47",
    },
  );
  for (
    const region of [[0, 0, 0, 1], [3, 3, 2, 1], [-1, 0, 1, 1], [0, 0.5, 1, 1]]
  ) {
    assert.throws(
      () =>
        keepRegion(photo(), {
          size: [4, 4],
          region: region as [number, number, number, number],
          keep: "inside",
        }),
      {
        name: "RangeError",
        message:
          `Cannot keep a region: region must be whole pixels inside the 4×4 photo, received [${region}]`,
      },
    );
  }
});
