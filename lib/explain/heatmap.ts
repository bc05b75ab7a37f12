/**
 * The heatmap every explanation method returns: one value per pixel of the
 * photo, in [0, 1], 1 where the method says the photo mattered most.
 *
 * @module
 */

/** One value per pixel of a photo, row by row, in [0, 1]. */
export interface Heatmap {
  /** Rows (the photo's height). */
  height: number;
  /** Columns (the photo's width). */
  width: number;
  /** `height * width` values in [0, 1], row-major. */
  data: Float32Array;
  /** The class the map explains. */
  classIndex: number;
  /**
   * The raw value that 1 stands for, in the method's own units: each method
   * scales its map so that its largest value is 1, and keeps that largest
   * value here (0 for an all-zero map). Undefined for a map made by hand.
   */
  scale?: number;
}

/**
 * The share of a heatmap's total heat that falls inside a rectangle: 1 when
 * all of it does, 0 when none does (or the map is all zeros).
 *
 * @param heatmap The map.
 * @param region `[top, left, height, width]` in pixels.
 * @returns The fraction of the sum of values inside the region.
 * @throws {RangeError} When the region is empty or outside the map.
 *
 * @example Heat in the top-left quadrant only
 * ```ts
 * import assert from "node:assert/strict";
 * import { heatInside } from "./heatmap.ts";
 *
 * const map = { height: 2, width: 2, data: new Float32Array([1, 0, 0, 0]), classIndex: 0 };
 * assert.equal(heatInside(map, [0, 0, 1, 1]), 1);
 * assert.equal(heatInside(map, [1, 1, 1, 1]), 0);
 * ```
 */
export function heatInside(
  heatmap: Heatmap,
  region: [number, number, number, number],
): number {
  const [top, left, h, w] = region;
  if (
    h < 1 || w < 1 || top < 0 || left < 0 || top + h > heatmap.height ||
    left + w > heatmap.width
  ) {
    throw new RangeError(
      `Cannot measure heat: region must lie inside the ${heatmap.height}×${heatmap.width} map, received [${region}]`,
    );
  }
  let inside = 0;
  let total = 0;
  for (let y = 0; y < heatmap.height; y++) {
    for (let x = 0; x < heatmap.width; x++) {
      const v = heatmap.data[y * heatmap.width + x];
      total += v;
      if (y >= top && y < top + h && x >= left && x < left + w) inside += v;
    }
  }
  return total > 0 ? inside / total : 0;
}

/**
 * How alike two heatmaps of the same photo are: the Pearson correlation of
 * their values over all pixels (1: the same picture up to scale, 0:
 * unrelated, −1: opposite). A flat map correlates with nothing (0).
 *
 * @param a One heatmap.
 * @param b Another, of the same size.
 * @returns The correlation, in [−1, 1].
 * @throws {RangeError} When the sizes differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heatmapCorrelation } from "./heatmap.ts";
 *
 * const map = (values: number[]) =>
 *   ({ height: 1, width: values.length, data: new Float32Array(values), classIndex: 0 });
 * assert.equal(heatmapCorrelation(map([0, 0.5, 1]), map([0, 0.25, 0.5])), 1);
 * assert.equal(heatmapCorrelation(map([0, 1]), map([1, 0])), -1);
 * ```
 */
export function heatmapCorrelation(a: Heatmap, b: Heatmap): number {
  if (a.height !== b.height || a.width !== b.width) {
    throw new RangeError(
      `Cannot correlate heatmaps: both must have the same size, received ${a.height}×${a.width} and ${b.height}×${b.width}`,
    );
  }
  const n = a.data.length;
  const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / n;
  const [ma, mb] = [mean(a.data), mean(b.data)];
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [da, db] = [a.data[i] - ma, b.data[i] - mb];
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  if (aa === 0 || bb === 0) return 0;
  return Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)));
}
