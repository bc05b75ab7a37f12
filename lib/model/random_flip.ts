/**
 * Random mirroring, the way Keras' `RandomFlip` works: each training image
 * is mirrored left-right and/or top-bottom with probability 1/2 per axis, so
 * the network learns that a flower facing left is the same flower facing
 * right.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type AugmentationLayerArgs,
  ImageAugmentation,
} from "./image_augmentation.ts";
import { FLIP_HEIGHT, FLIP_WIDTH, flipImages } from "./_augmentation_ops.ts";

/** Which axes {@linkcode RandomFlip} may mirror. */
export type FlipMode = "horizontal" | "vertical" | "horizontal_and_vertical";

const FLIP_MODES: readonly FlipMode[] = [
  "horizontal",
  "vertical",
  "horizontal_and_vertical",
];
/** Probability that one image is mirrored along an allowed axis (Keras uses a fair coin). */
const FLIP_PROBABILITY = 0.5;

/** Options of {@linkcode randomFlip}. */
export interface RandomFlipOptions {
  /**
   * Which mirrors are allowed: left-right, top-bottom, or both (each decided
   * independently).
   * @default {"horizontal_and_vertical"}
   */
  mode?: FlipMode;
  /**
   * Seed of the layer's random generator; the same seed gives the same flips.
   * @default {0}
   */
  seed?: number;
  /**
   * Shape of one input image `[height, width, channels]`, needed when this is
   * the first layer of a `tf.sequential` model.
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
 * Mirrors each training image left-right and/or top-bottom with probability
 * 1/2 per axis. Identity at inference. Build it with {@linkcode randomFlip}.
 */
export class RandomFlip extends ImageAugmentation {
  /** Name used to register the class for model (de)serialization. */
  static className = "RandomFlip";
  /** Allowed mirrors. */
  readonly mode: FlipMode;

  /**
   * Creates the layer; prefer {@linkcode randomFlip}.
   *
   * @param args Options plus tfjs layer arguments.
   * @throws {TypeError} When `mode` is unknown or `seed` not an integer.
   */
  constructor(args: RandomFlipOptions & AugmentationLayerArgs = {}) {
    super("RandomFlip", 0xf11b, args);
    const mode = args.mode ?? "horizontal_and_vertical";
    if (!FLIP_MODES.includes(mode)) {
      throw new TypeError(
        `Cannot create RandomFlip: mode must be one of ${
          FLIP_MODES.join(", ")
        }, received ${mode}`,
      );
    }
    this.mode = mode;
  }

  /** Flips each image of a batch with probability 1/2 along the chosen axes. */
  protected augment(batch: tf.Tensor4D): tf.Tensor4D {
    const n = batch.shape[0];
    const bits: number[] = [];
    if (this.mode !== "vertical") bits.push(FLIP_WIDTH);
    if (this.mode !== "horizontal") bits.push(FLIP_HEIGHT);
    // For every image, one coin per allowed axis (drawn image by image so
    // the sequence does not depend on the mode order).
    const flips = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      for (const bit of bits) {
        if (this.random() < FLIP_PROBABILITY) flips[i] |= bit;
      }
    }
    // where(coin, mirrored, original), image by image (see flipImages).
    return flipImages(batch, flips);
  }

  /** The constructor options, saved in `model.json`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }

  /**
   * Rebuilds the layer from its saved config. tfjs camel-cases every string
   * of `model.json` while loading it, so "horizontal_and_vertical" comes back
   * as "horizontalAndVertical"; it is read as the mode it was saved as.
   *
   * @param cls The class to build (tfjs passes `RandomFlip`).
   * @param config The config from `model.json`, as tfjs converted it.
   * @returns The layer.
   * @throws {TypeError} When the saved mode is unknown.
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const mode = config.mode === "horizontalAndVertical"
      ? "horizontal_and_vertical"
      : config.mode;
    return new cls({ ...config, mode });
  }
}

/**
 * Creates a {@linkcode RandomFlip} layer (Keras `RandomFlip(mode, seed)`).
 *
 * @param options Mode, seed and layer arguments.
 * @returns The layer.
 * @throws {TypeError} When `mode` is not one of "horizontal", "vertical", "horizontal_and_vertical".
 *
 * @example Flips are random while training and off at inference
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { randomFlip } from "./random_flip.ts";
 *
 * const flip = randomFlip({ mode: "horizontal", seed: 1 });
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
 * assert.deepEqual(await (flip.apply(x) as tf.Tensor).data(), await x.data());
 * // While training: the image itself or its mirror, left and right swapped.
 * const y = Array.from(await (flip.apply(x, { training: true }) as tf.Tensor).data());
 * assert.ok(["1,2,3,4", "2,1,4,3"].includes(y.join()));
 * ```
 */
export function randomFlip(options: RandomFlipOptions = {}): RandomFlip {
  return new RandomFlip(options);
}

// Registration makes `tf.loadLayersModel` able to rebuild the layer from the
// class name stored in model.json. It only fills tfjs' name → class table (no
// backend, no disk), so it is safe at import time.
tf.serialization.registerClass(RandomFlip);
