/**
 * A close-up of part of a photo: every pixel of a region drawn as a
 * `factor`×`factor` block (nearest neighbour), for details a few pixels
 * wide, such as the first receptive fields of a CNN; and squares drawn on
 * the photo moved onto the close-up.
 *
 * @module
 */
import type { Square } from "./draw_squares.ts";

/**
 * Cuts a region out of an RGB photo and magnifies it.
 *
 * @param pixels RGB pixels, `height * width * 3` bytes.
 * @param imageSize `[height, width]` of the photo.
 * @param region `[top, left, height, width]` of the part to magnify, in pixels.
 * @param factor Side of the block each pixel becomes (an integer ≥ 1).
 * @returns RGB pixels of `region height · factor` × `region width · factor`.
 * @throws {RangeError} When the pixels do not match the size, the region is
 *   not whole pixels inside the photo, or `factor` is not a positive integer.
 *
 * @example Two pixels, each made 2×2
 * ```ts
 * import assert from "node:assert/strict";
 * import { magnify } from "./magnify.ts";
 *
 * const photo = new Uint8Array([255, 0, 0, 0, 0, 255]); // red, blue: 1×2
 * const big = magnify(photo, [1, 2], [0, 0, 1, 2], 2); // 2×4
 * assert.deepEqual(Array.from(big.slice(0, 12)), [255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255]);
 * assert.equal(big.length, 2 * 4 * 3);
 * ```
 */
export function magnify(
  pixels: Uint8Array,
  imageSize: [number, number],
  region: [number, number, number, number],
  factor: number,
): Uint8Array {
  const [height, width] = imageSize;
  const [top, left, h, w] = region;
  if (pixels.length !== height * width * 3) {
    throw new RangeError(
      `Cannot magnify: pixels must have ${height}·${width}·3 = ${
        height * width * 3
      } values, received ${pixels.length}`,
    );
  }
  if (
    !region.every(Number.isInteger) || h < 1 || w < 1 || top < 0 ||
    left < 0 || top + h > height || left + w > width
  ) {
    throw new RangeError(
      `Cannot magnify: region must be whole pixels inside the ${height}×${width} photo, received [${region}]`,
    );
  }
  if (!Number.isInteger(factor) || factor < 1) {
    throw new RangeError(
      `Cannot magnify: factor must be a positive integer, received ${factor}`,
    );
  }
  const [outH, outW] = [h * factor, w * factor];
  const out = new Uint8Array(outH * outW * 3);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const from = ((top + Math.floor(y / factor)) * width + left +
        Math.floor(x / factor)) * 3;
      out.set(pixels.subarray(from, from + 3), (y * outW + x) * 3);
    }
  }
  return out;
}

/**
 * Squares of the photo (as `drawSquares` takes them) placed on the close-up
 * `magnify(…, region, factor)` makes, each as three outlines: black, then
 * two of its own colour just inside, so every colour shows on any photo.
 * Largest squares first, so that the small ones stay on top.
 *
 * @param squares Squares in photo pixels.
 * @param region The region that was magnified, `[top, left, height, width]`.
 * @param factor The magnification.
 * @returns Squares in close-up pixels, for `drawSquares` on the close-up.
 *
 * @example A 1-pixel square at (2, 3), magnified 4× from (2, 2)
 * ```ts
 * import assert from "node:assert/strict";
 * import { magnifySquares } from "./magnify.ts";
 *
 * const [outline, ...inside] = magnifySquares(
 *   [{ x: 3, y: 2, size: 1, color: [255, 0, 0] }], [2, 2, 4, 4], 4);
 * assert.deepEqual(outline, { x: 5.5, y: 1.5, size: 4, color: [0, 0, 0] });
 * assert.deepEqual(inside.map((s) => s.size), [2, 0]);
 * ```
 */
export function magnifySquares(
  squares: Square[],
  region: [number, number, number, number],
  factor: number,
): Square[] {
  const [top, left] = region;
  return squares.toSorted((a, b) => b.size - a.size).flatMap((s) => {
    // drawSquares' first row and column of the square, in photo pixels.
    const first = (c: number) => Math.round(c - (s.size - 1) / 2);
    const size = s.size * factor;
    const half = (size - 1) / 2;
    const x = (first(s.x) - left) * factor + half;
    const y = (first(s.y) - top) * factor + half;
    const black: Square["color"] = [0, 0, 0];
    return [0, 2, 4].map((inset) => ({
      x,
      y,
      size: size - inset,
      color: inset === 0 ? black : s.color,
    }));
  });
}
