/**
 * Heatmaps as pictures: a colour scale from black (0) through purple and
 * red to pale yellow (1), on its own or blended over the photo, as Keras'
 * Grad-CAM example does: cold regions come out darkened, hot ones lit up.
 *
 * @module
 */
import type { Heatmap } from "./heatmap.ts";

/** Colour stops of the scale at 0, 0.25, 0.5, 0.75, 1 (close to "inferno"). */
const STOPS: [number, number, number][] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

/**
 * The heatmap colour scale as CSS colours: its stops at 0, 0.25, 0.5, 0.75
 * and 1, blended linearly in RGB between them. Give it to `plotColorBar` to
 * draw the key under a grid of heatmaps.
 *
 * @example Black for 0, pale yellow for 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { HEATMAP_COLORS, heatmapColors } from "./heatmap_overlay.ts";
 *
 * assert.deepEqual([HEATMAP_COLORS[0], HEATMAP_COLORS.at(-1)], ["#000004", "#fcffa4"]);
 * const hot = heatmapColors({ height: 1, width: 1, data: new Float32Array([1]), classIndex: 0 });
 * assert.equal(hot[0].toString(16) + hot[1].toString(16) + hot[2].toString(16), "fcffa4");
 * ```
 */
export const HEATMAP_COLORS: readonly string[] = Object.freeze(
  STOPS.map((rgb) =>
    `#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`
  ),
);

/** The scale's colour for a value in [0, 1] (clamped). */
function color(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) *
    (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t));
  const f = t - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return [0, 1, 2].map((k) => a[k] + f * (b[k] - a[k])) as [
    number,
    number,
    number,
  ];
}

/**
 * Colours a heatmap: RGB pixels, 0-255, the map's size.
 *
 * @param heatmap Values in [0, 1] (values outside are clamped).
 * @returns `height * width * 3` bytes.
 *
 * @example Cold is dark, hot is bright
 * ```ts
 * import assert from "node:assert/strict";
 * import { heatmapColors } from "./heatmap_overlay.ts";
 *
 * const rgb = heatmapColors({ height: 1, width: 2, data: new Float32Array([0, 1]), classIndex: 0 });
 * assert.equal(rgb.length, 6);
 * assert.ok(rgb[3] + rgb[4] + rgb[5] > rgb[0] + rgb[1] + rgb[2]);
 * ```
 */
export function heatmapColors(heatmap: Heatmap): Uint8Array {
  const out = new Uint8Array(heatmap.height * heatmap.width * 3);
  heatmap.data.forEach((v, i) => out.set(color(v).map(Math.round), i * 3));
  return out;
}

/** Options of {@linkcode heatmapOverlay}. */
export interface HeatmapOverlayOptions {
  /**
   * Opacity of the colour layer: 0 gives the photo, 1 the heatmap alone.
   * @default {0.5}
   */
  alpha?: number;
}

/**
 * Blends a heatmap's colours over the photo: per pixel
 * `(1 − a)·photo + a·colour(v)`, with `a` the opacity and `v` the heat.
 *
 * @param image The photo, RGB, `height * width * 3` values in 0-255.
 * @param heatmap A heatmap the photo's size.
 * @param options Opacity.
 * @returns RGB bytes, the photo's size, 0-255.
 * @throws {RangeError} When the sizes differ or `alpha` is outside [0, 1].
 *
 * @example Hot pixels come out brighter than cold ones
 * ```ts
 * import assert from "node:assert/strict";
 * import { heatmapOverlay } from "./heatmap_overlay.ts";
 *
 * const photo = new Uint8Array([100, 100, 100, 100, 100, 100]);
 * const heat = { height: 1, width: 2, data: new Float32Array([1, 0]), classIndex: 0 };
 * const out = heatmapOverlay(photo, heat);
 * assert.ok(out[0] + out[1] + out[2] > out[3] + out[4] + out[5]);
 * assert.deepEqual(heatmapOverlay(photo, heat, { alpha: 0 }), photo);
 * ```
 */
export function heatmapOverlay(
  image: ArrayLike<number>,
  heatmap: Heatmap,
  options: HeatmapOverlayOptions = {},
): Uint8Array {
  const { alpha = 0.5 } = options;
  const { height, width, data } = heatmap;
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new RangeError(
      `Cannot overlay heatmap: alpha must be in [0, 1], received ${alpha}`,
    );
  }
  if (image.length !== height * width * 3) {
    throw new RangeError(
      `Cannot overlay heatmap: image must have ${height}·${width}·3 = ${
        height * width * 3
      } RGB values to match the ${height}×${width} heatmap, received ${image.length}`,
    );
  }
  const out = new Uint8Array(height * width * 3);
  for (let i = 0; i < height * width; i++) {
    const v = Math.min(1, Math.max(0, Number.isFinite(data[i]) ? data[i] : 0));
    const rgb = color(v);
    for (let k = 0; k < 3; k++) {
      const mixed = (1 - alpha) * image[i * 3 + k] + alpha * rgb[k];
      out[i * 3 + k] = Math.round(Math.min(255, Math.max(0, mixed)));
    }
  }
  return out;
}
