/**
 * Random brightness, the way Keras' `RandomBrightness` works: a random
 * amount is added to every pixel of each training image, so the network
 * learns that a flower in the shade is the same flower in the sun. The layer
 * expects pixel values in `valueRange` (by default [0, 255]) and clips its
 * output to it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { AugmentationLayerArgs } from "./image_augmentation.ts";
import {
  ColorAugmentation,
  type ColorOptions,
  perImage,
} from "./_color_augmentation.ts";
import { type FactorRange, factorRange } from "./factor_range.ts";
import { colorMap } from "./_augmentation_ops.ts";

/** Options of {@linkcode randomBrightness}. */
export interface RandomBrightnessOptions extends ColorOptions {
  /**
   * How much the brightness may change, as a fraction of the value range:
   * `0.2` adds to each image a random amount in [-20%, +20%] of
   * `valueRange[1] - valueRange[0]`; `[lower, upper]` picks the range
   * directly. Values lie in [-1, 1] (-1 makes the image black, 1 white).
   * Required, as in Keras.
   */
  factor: FactorRange;
}

/**
 * Adds a random amount to every pixel of each training image (the same
 * amount to all its pixels and channels), then clips to `valueRange`.
 * Identity at inference. Build it with {@linkcode randomBrightness}.
 */
export class RandomBrightness extends ColorAugmentation {
  /** Name used to register the class for model (de)serialization. */
  static className = "RandomBrightness";

  /**
   * Creates the layer; prefer {@linkcode randomBrightness}.
   *
   * @param args Options plus tfjs layer arguments.
   * @throws {RangeError} When `factor` or `valueRange` is out of range.
   * @throws {TypeError} When `factor` or `valueRange` is missing or not numbers, or `seed` not an integer.
   */
  constructor(args: RandomBrightnessOptions & AugmentationLayerArgs) {
    // `factor` is the range of the change, in fractions of the value range.
    super(
      "RandomBrightness",
      0xb417,
      args,
      () =>
        factorRange("RandomBrightness", "factor", args.factor, -1, 1, false),
    );
  }

  /** Adds one random delta per image and clips. */
  protected augment(batch: tf.Tensor4D): tf.Tensor4D {
    const [low, high] = this.valueRange;
    const n = batch.shape[0];
    return tf.tidy(() => {
      // The factor is a fraction of the value range: 0.1 on [0, 255] is 25.5.
      const delta = perImage(n, () => this.uniform(this.factor) * (high - low));
      const x = tf.cast(batch, "float32") as tf.Tensor4D;
      // clip(x + delta) in one pass where it can.
      return colorMap(x, { add: delta }, [low, high]);
    });
  }
}

/**
 * Creates a {@linkcode RandomBrightness} layer (Keras
 * `RandomBrightness(factor, value_range, seed)`).
 *
 * @param options Factor, value range, seed and layer arguments.
 * @returns The layer.
 * @throws {RangeError} When `factor` is negative or outside [-1, 1], lower > upper, or `valueRange` is not low < high.
 * @throws {TypeError} When `factor` is missing or not a number or pair.
 *
 * @example A brightness change of exactly +10% adds 25.5 and clips at 255
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { randomBrightness } from "./random_brightness.ts";
 *
 * const brighten = randomBrightness({ factor: [0.1, 0.1] });
 * const x = tf.tensor4d([0, 100, 200, 250], [1, 2, 2, 1]);
 * const y = brighten.apply(x, { training: true }) as tf.Tensor;
 * assert.deepEqual(Array.from(await y.data()), [25.5, 125.5, 225.5, 255]);
 * assert.deepEqual(await (brighten.apply(x) as tf.Tensor).data(), await x.data());
 * ```
 */
export function randomBrightness(
  options: RandomBrightnessOptions,
): RandomBrightness {
  return new RandomBrightness(options);
}

// Registration makes `tf.loadLayersModel` able to rebuild the layer from the
// class name stored in model.json. It only fills tfjs' name → class table (no
// backend, no disk), so it is safe at import time.
tf.serialization.registerClass(RandomBrightness);
