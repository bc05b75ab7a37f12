/**
 * Outlines squares on a photo's pixels: used to draw receptive fields (what
 * one pixel of a feature map can see) on the photo itself.
 *
 * @module
 */

/** A square outline to draw. */
export interface Square {
  /** Column of the square's centre, in pixels. */
  x: number;
  /** Row of the square's centre, in pixels. */
  y: number;
  /** Side, in pixels. */
  size: number;
  /** Outline colour, RGB 0-255. */
  color: [number, number, number];
}

/**
 * Returns a copy of an RGB photo with 1-pixel outlines of the given squares
 * (clipped at the photo's edges).
 *
 * @param pixels RGB pixels, `height * width * 3` bytes.
 * @param imageSize `[height, width]`.
 * @param squares The squares, drawn in order.
 * @returns The pixels with the outlines drawn in (the input is unchanged).
 * @throws {RangeError} When `pixels` does not match `imageSize`.
 *
 * @example A 3×3 square in the middle of a 5×5 black image
 * ```ts
 * import assert from "node:assert/strict";
 * import { drawSquares } from "./draw_squares.ts";
 *
 * const out = drawSquares(new Uint8Array(75), [5, 5], [{ x: 2, y: 2, size: 3, color: [255, 0, 0] }]);
 * assert.equal(out[(1 * 5 + 1) * 3], 255); // corner (1, 1) is red
 * assert.equal(out[(2 * 5 + 2) * 3], 0); // the centre stays black
 * ```
 */
export function drawSquares(
  pixels: Uint8Array,
  imageSize: [number, number],
  squares: Square[],
): Uint8Array {
  const [h, w] = imageSize;
  if (pixels.length !== h * w * 3) {
    throw new RangeError(
      `Cannot draw squares: pixels must have ${
        h * w * 3
      } values for ${h}×${w}×3, received ${pixels.length}`,
    );
  }
  const out = pixels.slice();
  const put = (row: number, col: number, color: Square["color"]) => {
    if (row < 0 || row >= h || col < 0 || col >= w) return;
    out.set(color, (row * w + col) * 3);
  };
  for (const { x, y, size, color } of squares) {
    const top = Math.round(y - (size - 1) / 2);
    const left = Math.round(x - (size - 1) / 2);
    const bottom = top + size - 1;
    const right = left + size - 1;
    for (let col = left; col <= right; col++) {
      put(top, col, color);
      put(bottom, col, color);
    }
    for (let row = top; row <= bottom; row++) {
      put(row, left, color);
      put(row, right, color);
    }
  }
  return out;
}
