/**
 * Random translation, the way Keras' `RandomTranslation` works: each
 * training image is shifted up/down and left/right by a random fraction of
 * its size, so the network learns that a flower off-centre is the same
 * flower.
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

/** Options of {@linkcode randomTranslation}. */
export interface RandomTranslationOptions extends AffineOptions {
  /**
   * Vertical shift range as a fraction of the height: `0.2` shifts each
   * image by a random amount in [-20%, +20%] of its height; `[lower, upper]`
   * picks the range directly. Positive values shift the image down, negative
   * ones up. Values lie in [-1, 1]. Required, as in Keras.
   */
  heightFactor: FactorRange;
  /**
   * Horizontal shift range as a fraction of the width, same meaning:
   * positive values shift the image right, negative ones left. Values lie in
   * [-1, 1]. Required, as in Keras.
   */
  widthFactor: FactorRange;
}

/**
 * Shifts each training image up/down and left/right by a random fraction of
 * its size; the uncovered border is filled by `fillMode`. Identity at
 * inference. Build it with {@linkcode randomTranslation}.
 */
export class RandomTranslation extends AffineAugmentation {
  /** Name used to register the class for model (de)serialization. */
  static className = "RandomTranslation";
  /** Vertical shift range `[lower, upper]` in fractions of the height. */
  readonly heightFactor: [number, number];
  /** Horizontal shift range `[lower, upper]` in fractions of the width. */
  readonly widthFactor: [number, number];

  /**
   * Creates the layer; prefer {@linkcode randomTranslation}.
   *
   * @param args Options plus tfjs layer arguments.
   * @throws {RangeError} When a factor is outside [-1, 1] or lower > upper.
   * @throws {TypeError} When a factor is missing, or `fillMode` or `interpolation` is unknown.
   */
  constructor(args: RandomTranslationOptions & AugmentationLayerArgs) {
    super("RandomTranslation", 0x7a45, args);
    this.heightFactor = factorRange(
      "RandomTranslation",
      "heightFactor",
      args.heightFactor,
      -1,
      1,
      false,
    );
    this.widthFactor = factorRange(
      "RandomTranslation",
      "widthFactor",
      args.widthFactor,
      -1,
      1,
      false,
    );
  }

  /** A random shift, as tfjs' 8-number transform. */
  protected matrix(height: number, width: number): number[] {
    // Shifting by (dx, dy) pixels means the output pixel (x, y) reads the
    // input pixel (x - dx, y - dy). Vertical first, as Keras draws them.
    const dy = this.uniform(this.heightFactor) * height;
    const dx = this.uniform(this.widthFactor) * width;
    return [1, 0, -dx, 0, 1, -dy, 0, 0];
  }

  /** The constructor options, saved in `model.json`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      heightFactor: [...this.heightFactor],
      widthFactor: [...this.widthFactor],
    };
  }
}

/**
 * Creates a {@linkcode RandomTranslation} layer (Keras
 * `RandomTranslation(height_factor, width_factor, fill_mode, interpolation,
 * seed, fill_value)`).
 *
 * @param options Shift ranges, fill mode, interpolation, seed and layer arguments.
 * @returns The layer.
 * @throws {RangeError} When a factor is negative, outside [-1, 1], or lower > upper.
 * @throws {TypeError} When a factor is missing, or `fillMode` or `interpolation` is unknown.
 *
 * @example A shift by a quarter of the width moves every pixel one column right
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { randomTranslation } from "./random_translation.ts";
 *
 * const shift = randomTranslation({
 *   heightFactor: 0,
 *   widthFactor: [0.25, 0.25],
 *   fillMode: "constant",
 * });
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 4, 1]);
 * const y = shift.apply(x, { training: true }) as tf.Tensor;
 * assert.deepEqual(Array.from(await y.data()), [0, 1, 2, 3]);
 * ```
 */
export function randomTranslation(
  options: RandomTranslationOptions,
): RandomTranslation {
  return new RandomTranslation(options);
}

// Registration makes `tf.loadLayersModel` able to rebuild the layer from the
// class name stored in model.json. It only fills tfjs' name → class table (no
// backend, no disk), so it is safe at import time.
tf.serialization.registerClass(RandomTranslation);
