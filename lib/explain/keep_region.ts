/**
 * Does the model need the flower, or would the background do? Keep only one
 * region of a photo — the centre, where a photographer usually puts the
 * flower, or everything but the centre — paint the rest mid grey, and see
 * how often the model is still right.
 *
 * @module
 */

/** Options of {@linkcode keepRegion}. */
export interface KeepRegionOptions {
  /** `[height, width]` of the photo. */
  size: [number, number];
  /** The region, `[top, left, height, width]` in pixels. */
  region: [number, number, number, number];
  /** Keep the pixels `"inside"` the region or `"outside"` it; the others are painted. */
  keep: "inside" | "outside";
  /**
   * The value painted pixels take (128: mid grey, as occlusion's patch).
   * @default {128}
   */
  fill?: number;
  /**
   * Channels per pixel.
   * @default {3}
   */
  channels?: number;
}

/**
 * A copy of a photo with only one region kept: the pixels inside the region
 * (or outside it) as they were, all others set to `fill`.
 *
 * @param image The photo, `height * width * channels` values.
 * @param options Size, region, which side to keep, fill value, channels.
 * @returns The new pixels (the photo is not changed).
 * @throws {RangeError} When the image does not have the given size or the
 *   region is empty or does not lie inside the photo.
 *
 * @example Keep the centre pixel of a 3×3 grey photo
 * ```ts
 * import assert from "node:assert/strict";
 * import { keepRegion } from "./keep_region.ts";
 *
 * const photo = new Uint8Array(9).fill(50);
 * const centre = keepRegion(photo, { size: [3, 3], region: [1, 1, 1, 1], keep: "inside", channels: 1 });
 * assert.deepEqual(Array.from(centre), [128, 128, 128, 128, 50, 128, 128, 128, 128]);
 * const border = keepRegion(photo, { size: [3, 3], region: [1, 1, 1, 1], keep: "outside", channels: 1 });
 * assert.deepEqual(Array.from(border), [50, 50, 50, 50, 128, 50, 50, 50, 50]);
 * ```
 */
export function keepRegion(
  image: ArrayLike<number>,
  options: KeepRegionOptions,
): Uint8Array {
  const { size: [height, width], region, keep, fill = 128, channels = 3 } =
    options;
  const [top, left, h, w] = region;
  if (image.length !== height * width * channels) {
    throw new RangeError(
      `Cannot keep a region: image must have ${height}·${width}·${channels} = ${
        height * width * channels
      } values, received ${image.length}`,
    );
  }
  if (
    !region.every(Number.isInteger) || h < 1 || w < 1 || top < 0 ||
    left < 0 || top + h > height || left + w > width
  ) {
    throw new RangeError(
      `Cannot keep a region: region must be whole pixels inside the ${height}×${width} photo, received [${region}]`,
    );
  }
  const out = Uint8Array.from(image);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = y >= top && y < top + h && x >= left && x < left + w;
      if (inside !== (keep === "inside")) {
        out.fill(
          fill,
          (y * width + x) * channels,
          (y * width + x + 1) * channels,
        );
      }
    }
  }
  return out;
}
