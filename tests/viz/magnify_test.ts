import assert from "node:assert/strict";
import { magnify, magnifySquares } from "../../lib/viz/magnify.ts";
import { drawSquares } from "../../lib/viz/draw_squares.ts";

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

Deno.test("magnifySquares() outlines, on the close-up, the blocks of the photo pixels the square covers", () => {
  const white = new Uint8Array(4 * 4 * 3).fill(255);
  const red: [number, number, number] = [255, 0, 0];
  // drawSquares puts this 2-pixel square on photo rows and columns 2 and 3.
  const square = { x: 2, y: 2, size: 2, color: red };
  const onPhoto = drawSquares(white, [4, 4], [square]);
  assert.deepEqual(
    Array.from(onPhoto.slice((2 * 4 + 2) * 3, (2 * 4 + 2) * 3 + 3)),
    red,
  );
  const big = drawSquares(
    magnify(white, [4, 4], [0, 0, 4, 4], 3),
    [12, 12],
    magnifySquares([square], [0, 0, 4, 4], 3),
  );
  const at = (y: number, x: number) =>
    Array.from(big.slice((y * 12 + x) * 3, (y * 12 + x) * 3 + 3));
  // Photo pixels 2-3 are close-up pixels 6-11: black on their border, red inside it.
  assert.deepEqual([at(6, 6), at(11, 8), at(8, 11)], [[0, 0, 0], [0, 0, 0], [
    0,
    0,
    0,
  ]]);
  assert.deepEqual([at(7, 7), at(10, 9), at(8, 8)], [red, red, red]);
  assert.deepEqual([at(5, 6), at(6, 5), at(9, 9)], [[255, 255, 255], [
    255,
    255,
    255,
  ], red]);
});

Deno.test("magnifySquares() draws the largest square first", () => {
  const colour = (c: number): [number, number, number] => [c, c, c];
  const squares = magnifySquares(
    [
      { x: 5, y: 5, size: 3, color: colour(1) },
      { x: 5, y: 5, size: 9, color: colour(2) },
    ],
    [0, 0, 10, 10],
    2,
  );
  assert.deepEqual(squares.map((s) => [s.size, s.color[0]]), [
    [18, 0],
    [16, 2],
    [14, 2],
    [6, 0],
    [4, 1],
    [2, 1],
  ]);
});
