/**
 * Random contrast, the way Keras' `RandomContrast` works: each training
 * image's contrast is scaled by a random factor. Photos of the same flower
 * differ in lighting: a cloudy day is flatter than a sunny one, and the
 * network should learn that the class does not depend on it. The layer
 * expects pixel values in `valueRange` (by default [0, 255], so it sits
 * before `Rescaling(1/255)`) and clips its output to it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { AugmentationLayerArgs } from "./image_augmentation.ts";
import {
  ColorAugmentation,
  type ColorOptions,
  perImage,
  shown,
} from "./_color_augmentation.ts";
import type { FactorRange } from "./factor_range.ts";
import { colorMap } from "./_augmentation_ops.ts";

/** Axes of height and width in a `[batch, height, width, channels]` tensor. */
const SPATIAL_AXES = [1, 2];

/**
 * Checks the contrast factor: one number `f` means `[f, f]`; `[lower,
 * upper]` give the contrast range `[1 - lower, 1 + upper]`, which must not
 * go below 0 (that would invert the image) nor be empty. A single contrast
 * `c` is `[1 - c, c - 1]`.
 */
function contrastFactor(layer: string, factor: FactorRange): [number, number] {
  let pair: [number, number];
  if (typeof factor === "number") {
    pair = [factor, factor];
  } else if (
    Array.isArray(factor) && factor.length === 2 &&
    factor.every((v) => typeof v === "number")
  ) {
    pair = [factor[0], factor[1]];
  } else {
    throw new TypeError(
      `Cannot create ${layer}: factor must be a number or a [lower, upper] pair, received ${
        shown(factor)
      }`,
    );
  }
  const [lower, upper] = pair;
  const [min, max] = [1 - lower, 1 + upper];
  if (
    !Number.isFinite(min) || !Number.isFinite(max) || !(0 <= min && min <= max)
  ) {
    throw new RangeError(
      `Cannot create ${layer}: factor must give a contrast range [1 - lower, 1 + upper] with 0 <= 1 - lower <= 1 + upper, received ${
        shown(factor)
      }`,
    );
  }
  return pair;
}

/** Options of {@linkcode randomContrast}. */
export interface RandomContrastOptions extends ColorOptions {
  /**
   * How much the contrast may change: each image's contrast factor is drawn
   * from `[1 - lower, 1 + upper]`; one number `f` in [0, 1] means
   * `[1 - f, 1 + f]`. The range must satisfy `0 <= 1 - lower <= 1 + upper`;
   * `[1 - c, c - 1]` always uses contrast `c`. Required, as in Keras.
   */
  factor: FactorRange;
}

/**
 * Scales each training image's contrast by a random factor `c`: every
 * channel value `x` becomes `(x - mean) * c + mean`, where `mean` is the
 * mean of that channel over the image, then is clipped to `valueRange`.
 * Identity at inference. Build it with {@linkcode randomContrast}.
 */
export class RandomContrast extends ColorAugmentation {
  /** Name used to register the class for model (de)serialization. */
  static className = "RandomContrast";

  /**
   * Creates the layer; prefer {@linkcode randomContrast}.
   *
   * @param args Options plus tfjs layer arguments.
   * @throws {RangeError} When `factor` or `valueRange` is out of range.
   * @throws {TypeError} When `factor` or `valueRange` is missing or not numbers, or `seed` not an integer.
   */
  constructor(args: RandomContrastOptions & AugmentationLayerArgs) {
    // `factor` is `[lower, upper]`: the contrast is drawn from `[1 - lower, 1 + upper]`.
    super(
      "RandomContrast",
      0xc047,
      args,
      () => contrastFactor("RandomContrast", args.factor),
    );
  }

  /** Stretches (c > 1) or flattens (c < 1) each image around its channel means. */
  protected augment(batch: tf.Tensor4D): tf.Tensor4D {
    const range: [number, number] = [1 - this.factor[0], 1 + this.factor[1]];
    const n = batch.shape[0];
    return tf.tidy(() => {
      const contrast = perImage(n, () => this.uniform(range));
      const x = tf.cast(batch, "float32");
      // Mean over height and width: one value per image and channel.
      const mean = tf.mean(x, SPATIAL_AXES, true) as tf.Tensor4D;
      // clip((x - mean) * contrast + mean) in one pass where it can.
      return colorMap(
        x,
        { sub: mean, mul: contrast, add: mean },
        this.valueRange,
      );
    });
  }
}

/**
 * Creates a {@linkcode RandomContrast} layer (Keras `RandomContrast(factor,
 * value_range, seed)`).
 *
 * @param options Factor, value range, seed and layer arguments.
 * @returns The layer.
 * @throws {RangeError} When `factor` or `valueRange` is out of range.
 * @throws {TypeError} When `factor` is missing or not a number or pair.
 *
 * @example A contrast of exactly 2 doubles each pixel's distance to the mean
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { randomContrast } from "./random_contrast.ts";
 *
 * // [1 - lower, 1 + upper] = [2, 2]
 * const contrast = randomContrast({ factor: [-1, 1] });
 * const x = tf.tensor4d([100, 110, 120, 130], [1, 2, 2, 1]); // mean 115
 * const y = contrast.apply(x, { training: true }) as tf.Tensor;
 * assert.deepEqual(Array.from(await y.data()), [85, 105, 125, 145]);
 * assert.deepEqual(await (contrast.apply(x) as tf.Tensor).data(), await x.data());
 * ```
 */
export function randomContrast(options: RandomContrastOptions): RandomContrast {
  return new RandomContrast(options);
}

// Registration makes `tf.loadLayersModel` able to rebuild the layer from the
// class name stored in model.json. It only fills tfjs' name → class table (no
// backend, no disk), so it is safe at import time.
tf.serialization.registerClass(RandomContrast);
