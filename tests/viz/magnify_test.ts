import assert from "node:assert/strict";
import { magnify } from "../../lib/viz/magnify.ts";

/** A 3×4 RGB photo whose pixel (y, x) is (y, x, 7). */
function photo(): Uint8Array {
  return Uint8Array.from({ length: 36 }, (_, i) => {
    const [p, c] = [Math.floor(i / 3), i % 3];
    return c === 0 ? Math.floor(p / 4) : c === 1 ? p % 4 : 7;
  });
}

Deno.test("magnify() draws each pixel of the region as a factor×factor block", () => {
  const big = magnify(photo(), [3, 4], [1, 2, 2, 2], 3); // rows 1-2, columns 2-3
  assert.equal(big.length, 6 * 6 * 3);
  const at = (y: number, x: number) =>
    Array.from(big.slice((y * 6 + x) * 3, (y * 6 + x) * 3 + 3));
  assert.deepEqual(at(0, 0), [1, 2, 7]);
  assert.deepEqual(at(2, 2), [1, 2, 7]); // still the first pixel's block
  assert.deepEqual(at(2, 3), [1, 3, 7]);
  assert.deepEqual(at(3, 0), [2, 2, 7]);
  assert.deepEqual(at(5, 5), [2, 3, 7]);
});

Deno.test("magnify() refuses wrong pixels, a region outside the photo and a bad factor", () => {
  assert.throws(() => magnify(new Uint8Array(5), [3, 4], [0, 0, 1, 1], 2), {
    name: "RangeError",
    message: "Cannot magnify: pixels must have 3·4·3 = 36 values, received 5",
  });
  assert.throws(() => magnify(photo(), [3, 4], [2, 0, 2, 1], 2), {
    name: "RangeError",
    message:
      "Cannot magnify: region must be whole pixels inside the 3×4 photo, received [2,0,2,1]",
  });
  assert.throws(() => magnify(photo(), [3, 4], [0, 0, 1, 1], 0), {
    name: "RangeError",
    message: "Cannot magnify: factor must be a positive integer, received 0",
  });
});
