import assert from "node:assert/strict";
import { drawSquares } from "../../lib/viz/draw_squares.ts";

Deno.test("drawSquares() outlines a square and leaves the input unchanged", () => {
  const black = new Uint8Array(5 * 5 * 3);
  const out = drawSquares(black, [5, 5], [{
    x: 2,
    y: 2,
    size: 3,
    color: [9, 8, 7],
  }]);
  const red = (row: number, col: number) => out[(row * 5 + col) * 3];
  const outlined = [];
  for (let row = 0; row < 5; row++) {
    for (let col = 0; col < 5; col++) {
      if (red(row, col) === 9) outlined.push([row, col]);
    }
  }
  assert.equal(outlined.length, 8); // the 3×3 ring, not its centre
  assert.equal(red(2, 2), 0);
  assert.equal(black.every((v) => v === 0), true);
});

Deno.test("drawSquares() clips at the edges and checks the size", () => {
  const out = drawSquares(new Uint8Array(12), [2, 2], [{
    x: 0,
    y: 0,
    size: 9,
    color: [1, 1, 1],
  }]);
  assert.equal(out.length, 12);
  assert.throws(() => drawSquares(new Uint8Array(5), [2, 2], []), {
    name: "RangeError",
    message:
      "Cannot draw squares: pixels must have 12 values for 2×2×3, received 5",
  });
});
