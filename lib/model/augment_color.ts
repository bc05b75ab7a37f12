/**
 * Colour augmentation layers: random contrast and brightness applied inside
 * the model, the way Keras' `RandomContrast` and `RandomBrightness` work.
 *
 * Photos of the same flower differ in lighting: a cloudy day is flatter and
 * darker than a sunny one. Changing each training image's contrast and
 * brightness by a random amount teaches the network that the class does not
 * depend on them. Both layers expect pixel values in `valueRange` (by
 * default [0, 255], so they sit before `Rescaling(1/255)`) and clip their
 * output to it.
 *
 * Like the geometric augmentations in `augment.ts`, they only change images
 * while training, draw from their own seeded generator (one number per
 * image), can save and restore that generator's position
 * (`RandomStateful`), and are registered with `tf.serialization`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type FactorRange, factorRange, ImageAugmentation } from "./augment.ts";

/** Axes of height and width in a `[batch, height, width, channels]` tensor. */
const SPATIAL_AXES = [1, 2];
/** Default `valueRange`: 8-bit pixel values, as the project's models read photos. */
const PIXEL_RANGE: [number, number] = [0, 255];

/** Common constructor arguments of the augmentation layers (tfjs `LayerArgs`). */
type BaseLayerArgs = NonNullable<
  ConstructorParameters<typeof tf.layers.Layer>[0]
>;

/** Options shared by the colour augmentations. */
interface ColorOptions {
  /**
   * The range `[low, high]` of the input's pixel values; the output is
   * clipped to it. Use `[0, 1]` for images that were rescaled before.
   * @default {[0, 255]}
   */
  valueRange?: [number, number];
  /**
   * Seed of the layer's random generator; the same seed gives the same
   * augmentation.
   * @default {0}
   */
  seed?: number;
  /**
   * Shape of one input image `[height, width, channels]` when this is the
   * first layer of a `tf.sequential` model.
   * @default {undefined}
   */
  inputShape?: number[];
  /**
   * Layer name shown in the model summary.
   * @default {undefined} (tfjs picks a unique one)
   */
  name?: string;
}

/** Shows an option as given, pairs as `[a, b]`. */
function shown(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(", ")}]` : `${value}`;
}

/** Checks `valueRange`: two finite numbers, low < high. */
function checkValueRange(
  layer: string,
  valueRange: [number, number],
): [number, number] {
  if (
    !Array.isArray(valueRange) || valueRange.length !== 2 ||
    !valueRange.every((v) => typeof v === "number")
  ) {
    throw new TypeError(
      `Cannot create ${layer}: valueRange must be a [low, high] pair of numbers, received ${
        shown(valueRange)
      }`,
    );
  }
  const [low, high] = valueRange;
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
    throw new RangeError(
      `Cannot create ${layer}: valueRange must be finite with low < high, received ${
        shown(valueRange)
      }`,
    );
  }
  return [low, high];
}

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

/**
 * One random number per image of a batch, as a `[n, 1, 1, 1]` tensor that
 * broadcasts over the image's pixels and channels.
 */
function perImage(n: number, draw: () => number): tf.Tensor4D {
  return tf.tensor4d(Array.from({ length: n }, draw), [n, 1, 1, 1]);
}

// ------------------------------------------------------------ RandomContrast

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
export class RandomContrast extends ImageAugmentation {
  /** Name used to register the class for model (de)serialization. */
  static className = "RandomContrast";
  /** `[lower, upper]`: the contrast factor is drawn from `[1 - lower, 1 + upper]`. */
  readonly factor: [number, number];
  /** Range of the pixel values; the output is clipped to it. */
  readonly valueRange: [number, number];

  /**
   * Creates the layer; prefer {@linkcode randomContrast}.
   *
   * @param args Options plus tfjs layer arguments.
   * @throws {RangeError} When `factor` or `valueRange` is out of range.
   * @throws {TypeError} When `factor` or `valueRange` is missing or not numbers, or `seed` not an integer.
   */
  constructor(args: RandomContrastOptions & BaseLayerArgs) {
    super("RandomContrast", 0xc047, args);
    this.factor = contrastFactor("RandomContrast", args.factor);
    this.valueRange = checkValueRange(
      "RandomContrast",
      args.valueRange ?? PIXEL_RANGE,
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
      const mean = tf.mean(x, SPATIAL_AXES, true);
      const stretched = tf.add(tf.mul(tf.sub(x, mean), contrast), mean);
      return tf.clipByValue(stretched, ...this.valueRange) as tf.Tensor4D;
    });
  }

  /** The constructor options, saved in `model.json`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      factor: [...this.factor],
      valueRange: [...this.valueRange],
    };
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
 * import { randomContrast } from "./augment_color.ts";
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

// ---------------------------------------------------------- RandomBrightness

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
export class RandomBrightness extends ImageAugmentation {
  /** Name used to register the class for model (de)serialization. */
  static className = "RandomBrightness";
  /** Range `[lower, upper]` of the change, in fractions of the value range. */
  readonly factor: [number, number];
  /** Range of the pixel values; the output is clipped to it. */
  readonly valueRange: [number, number];

  /**
   * Creates the layer; prefer {@linkcode randomBrightness}.
   *
   * @param args Options plus tfjs layer arguments.
   * @throws {RangeError} When `factor` or `valueRange` is out of range.
   * @throws {TypeError} When `factor` or `valueRange` is missing or not numbers, or `seed` not an integer.
   */
  constructor(args: RandomBrightnessOptions & BaseLayerArgs) {
    super("RandomBrightness", 0xb417, args);
    this.factor = factorRange(
      "RandomBrightness",
      "factor",
      args.factor,
      -1,
      1,
      false,
    );
    this.valueRange = checkValueRange(
      "RandomBrightness",
      args.valueRange ?? PIXEL_RANGE,
    );
  }

  /** Adds one random delta per image and clips. */
  protected augment(batch: tf.Tensor4D): tf.Tensor4D {
    const [low, high] = this.valueRange;
    const n = batch.shape[0];
    return tf.tidy(() => {
      // The factor is a fraction of the value range: 0.1 on [0, 255] is 25.5.
      const delta = perImage(n, () => this.uniform(this.factor) * (high - low));
      const x = tf.cast(batch, "float32");
      return tf.clipByValue(tf.add(x, delta), low, high) as tf.Tensor4D;
    });
  }

  /** The constructor options, saved in `model.json`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      factor: [...this.factor],
      valueRange: [...this.valueRange],
    };
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
 * import { randomBrightness } from "./augment_color.ts";
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

// Registration makes `tf.loadLayersModel` able to rebuild these layers from
// the class names stored in model.json (a name → class table, no side effect
// on backends or files).
tf.serialization.registerClass(RandomContrast);
tf.serialization.registerClass(RandomBrightness);
