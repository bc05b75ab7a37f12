/**
 * What the colour augmentations (contrast, brightness) share: a factor
 * range, the `valueRange` option their output is clipped to, and one random
 * number per image.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type AugmentationLayerArgs,
  ImageAugmentation,
} from "./image_augmentation.ts";

/** Default `valueRange`: 8-bit pixel values, as the project's models read photos. */
const PIXEL_RANGE: [number, number] = [0, 255];

/** Options shared by the colour augmentations. */
export interface ColorOptions {
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

/**
 * Shows an option as given, pairs as `[a, b]`, for error messages.
 *
 * @param value The option.
 * @returns Its text.
 */
export function shown(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(", ")}]` : `${value}`;
}

/**
 * Checks `valueRange`: two finite numbers, low < high.
 *
 * @param layer Class name of the layer, for the error message.
 * @param valueRange The option as given.
 * @returns The range `[low, high]`.
 * @throws {TypeError} When it is not a pair of numbers.
 * @throws {RangeError} When an end is not finite or low >= high.
 */
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
 * One random number per image of a batch, as a `[n, 1, 1, 1]` tensor that
 * broadcasts over the image's pixels and channels.
 *
 * @param n Images in the batch.
 * @param draw Draws one number.
 * @returns The numbers, `[n, 1, 1, 1]`.
 */
export function perImage(n: number, draw: () => number): tf.Tensor4D {
  return tf.tensor4d(Array.from({ length: n }, draw), [n, 1, 1, 1]);
}

/**
 * Base of the colour augmentations: a factor range `[lower, upper]` (what it
 * scales is the subclass's) and the range of the pixel values, which the
 * output is clipped to; both are saved in `model.json`.
 */
export abstract class ColorAugmentation extends ImageAugmentation {
  /** The factor range `[lower, upper]`, as the subclass's option defines it. */
  readonly factor: [number, number];
  /** Range of the pixel values; the output is clipped to it. */
  readonly valueRange: [number, number];

  /**
   * Checks the seed, then the factor, then `valueRange`.
   *
   * @param layer Class name of the layer, for error messages.
   * @param salt Mixed into the seed (see {@linkcode ImageAugmentation}).
   * @param args Value range, seed and tfjs layer arguments.
   * @param readFactor Checks the layer's factor option and returns its range.
   * @throws {TypeError} When `valueRange` is not a pair of numbers, or `seed` not an integer.
   * @throws {RangeError} When `valueRange` is not finite with low < high.
   */
  constructor(
    layer: string,
    salt: number,
    args: ColorOptions & AugmentationLayerArgs,
    readFactor: () => [number, number],
  ) {
    super(layer, salt, args);
    this.factor = readFactor();
    this.valueRange = checkValueRange(layer, args.valueRange ?? PIXEL_RANGE);
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
