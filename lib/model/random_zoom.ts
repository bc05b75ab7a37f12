/**
 * Random zoom, the way Keras' `RandomZoom` works: each training image is
 * zoomed in or out about its centre by a random amount, so the network
 * learns that a flower close up is the same flower further away.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { AugmentationLayerArgs } from "./image_augmentation.ts";
import {
  AffineAugmentation,
  type AffineOptions,
} from "./_affine_augmentation.ts";
import { type FactorRange, factorRange } from "./factor_range.ts";

/** Options of {@linkcode randomZoom}. */
export interface RandomZoomOptions extends AffineOptions {
  /**
   * Vertical zoom range as a fraction of the height: a positive value zooms
   * out (the image shrinks), a negative one zooms in. `0.1` picks a zoom in
   * [-10%, +10%]; `[lower, upper]` picks the range directly. Values lie in
   * (-1, 1].
   * @default {0.1}
   */
  heightFactor?: FactorRange;
  /**
   * Horizontal zoom range, same meaning; when left out, each image uses its
   * vertical zoom for both axes (the aspect ratio is kept).
   * @default {undefined}
   */
  widthFactor?: FactorRange;
}

/**
 * Zooms each training image in or out about its centre by a random amount.
 * Identity at inference. Build it with {@linkcode randomZoom}.
 */
export class RandomZoom extends AffineAugmentation {
  /** Name used to register the class for model (de)serialization. */
  static className = "RandomZoom";
  /** Vertical zoom range `[lower, upper]`. */
  readonly heightFactor: [number, number];
  /** Horizontal zoom range, or `null` to reuse the vertical zoom. */
  readonly widthFactor: [number, number] | null;

  /**
   * Creates the layer; prefer {@linkcode randomZoom}.
   *
   * @param args Options plus tfjs layer arguments.
   * @throws {RangeError} When a factor is outside (-1, 1] or lower > upper.
   * @throws {TypeError} When `fillMode` or `interpolation` is unknown.
   */
  constructor(args: RandomZoomOptions & AugmentationLayerArgs = {}) {
    super("RandomZoom", 0x200b, args);
    this.heightFactor = factorRange(
      "RandomZoom",
      "heightFactor",
      args.heightFactor ?? 0.1,
      -1,
      1,
      true,
    );
    this.widthFactor = args.widthFactor == null ? null : factorRange(
      "RandomZoom",
      "widthFactor",
      args.widthFactor,
      -1,
      1,
      true,
    );
  }

  /** A random zoom about the image centre, as tfjs' 8-number transform. */
  protected matrix(height: number, width: number): number[] {
    // A zoom of z reads the output pixel x from input x·z (+ offset to keep
    // the centre fixed): z > 1 covers more of the input, i.e. zooms out.
    const zoomY = 1 + this.uniform(this.heightFactor);
    const zoomX = this.widthFactor == null
      ? zoomY
      : 1 + this.uniform(this.widthFactor);
    const xOffset = ((width - 1) / 2) * (1 - zoomX);
    const yOffset = ((height - 1) / 2) * (1 - zoomY);
    return [zoomX, 0, xOffset, 0, zoomY, yOffset, 0, 0];
  }

  /** The constructor options, saved in `model.json`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      heightFactor: [...this.heightFactor],
      widthFactor: this.widthFactor == null ? null : [...this.widthFactor],
    };
  }
}

/**
 * Creates a {@linkcode RandomZoom} layer (Keras `RandomZoom(height_factor,
 * width_factor, fill_mode, interpolation, seed, fill_value)`).
 *
 * @param options Zoom ranges, fill mode, interpolation, seed and layer arguments.
 * @returns The layer.
 * @throws {RangeError} When a factor is negative, outside (-1, 1], or lower > upper.
 * @throws {TypeError} When `fillMode` or `interpolation` is unknown.
 *
 * @example Zoom is the identity at inference
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { randomZoom } from "./random_zoom.ts";
 *
 * const zoom = randomZoom({ heightFactor: 0.3, seed: 3 });
 * const x = tf.randomUniform([1, 8, 8, 3], 0, 255, "float32", 1);
 * const y = zoom.apply(x) as tf.Tensor;
 * assert.deepEqual(await y.data(), await x.data());
 * ```
 */
export function randomZoom(options: RandomZoomOptions = {}): RandomZoom {
  return new RandomZoom(options);
}

// Registration makes `tf.loadLayersModel` able to rebuild the layer from the
// class name stored in model.json. It only fills tfjs' name → class table (no
// backend, no disk), so it is safe at import time.
tf.serialization.registerClass(RandomZoom);
