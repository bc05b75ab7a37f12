/**
 * Random rotation, the way Keras' `RandomRotation` works: each training
 * image is turned about its centre by a random angle, so the network learns
 * that a tilted flower is the same flower.
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

/** Rotation factors are fractions of a full turn. */
const FULL_TURN = 2 * Math.PI;

/** Options of {@linkcode randomRotation}. */
export interface RandomRotationOptions extends AffineOptions {
  /**
   * Rotation range as a fraction of a full turn (2π): `0.1` rotates each image
   * by a random angle in [-36°, 36°]; `[lower, upper]` picks the range
   * directly. Values lie in [-1, 1]. Positive angles turn counter-clockwise.
   * @default {0.1}
   */
  factor?: FactorRange;
}

/**
 * Rotates each training image by a random angle about its centre. Identity
 * at inference. Build it with {@linkcode randomRotation}.
 */
export class RandomRotation extends AffineAugmentation {
  /** Name used to register the class for model (de)serialization. */
  static className = "RandomRotation";
  /** Rotation range `[lower, upper]` in fractions of a full turn. */
  readonly factor: [number, number];

  /**
   * Creates the layer; prefer {@linkcode randomRotation}.
   *
   * @param args Options plus tfjs layer arguments.
   * @throws {RangeError} When the factor is outside [-1, 1] or lower > upper.
   * @throws {TypeError} When `fillMode` or `interpolation` is unknown.
   */
  constructor(args: RandomRotationOptions & AugmentationLayerArgs = {}) {
    super("RandomRotation", 0x5a7e, args);
    this.factor = factorRange(
      "RandomRotation",
      "factor",
      args.factor ?? 0.1,
      -1,
      1,
      false,
    );
  }

  /** A random rotation about the image centre, as tfjs' 8-number transform. */
  protected matrix(height: number, width: number): number[] {
    const angle = this.uniform(this.factor) * FULL_TURN;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    // Rotation about the image centre ((w-1)/2, (h-1)/2): the output pixel
    // (x, y) reads input pixel R·(x, y) + offset, where the offset moves the
    // rotated centre back onto the centre.
    const cx = (width - 1) / 2;
    const cy = (height - 1) / 2;
    const xOffset = cx - (cos * cx - sin * cy);
    const yOffset = cy - (sin * cx + cos * cy);
    return [cos, -sin, xOffset, sin, cos, yOffset, 0, 0];
  }

  /** The constructor options, saved in `model.json`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: [...this.factor] };
  }
}

/**
 * Creates a {@linkcode RandomRotation} layer (Keras `RandomRotation(factor,
 * fill_mode, interpolation, seed, fill_value)`).
 *
 * @param options Factor, fill mode, interpolation, seed and layer arguments.
 * @returns The layer.
 * @throws {RangeError} When `factor` is negative, outside [-1, 1], or lower > upper.
 * @throws {TypeError} When `fillMode` or `interpolation` is unknown.
 *
 * @example Rotation keeps the shape
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { randomRotation } from "./random_rotation.ts";
 *
 * const rotate = randomRotation({ factor: 0.2, seed: 7 });
 * const x = tf.randomUniform([2, 8, 8, 3], 0, 255, "float32", 1);
 * const y = rotate.apply(x, { training: true }) as tf.Tensor;
 * assert.deepEqual(y.shape, [2, 8, 8, 3]);
 * ```
 */
export function randomRotation(
  options: RandomRotationOptions = {},
): RandomRotation {
  return new RandomRotation(options);
}

// Registration makes `tf.loadLayersModel` able to rebuild the layer from the
// class name stored in model.json. It only fills tfjs' name → class table (no
// backend, no disk), so it is safe at import time.
tf.serialization.registerClass(RandomRotation);
