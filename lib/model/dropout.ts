/**
 * Dropout whose randomness moves on: a different mask at every training step,
 * yet the same sequence of masks for the same seed.
 *
 * tfjs' own `tf.layers.dropout({ rate, seed })` (4.22) passes its fixed seed to
 * `tf.dropout` on every call, so it draws the *same* mask at every step: the
 * first photo of every batch always loses the same units, which is not dropout
 * at all. Without a seed it uses `Math.random`, which no seed can repeat.
 * {@linkcode SeededDropout} counts its training calls and derives each call's
 * seed from the layer seed and that count, as Keras 3's seed generator does. The
 * count is its random state (see `RandomStateful`), so checkpoints restore it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options of {@linkcode seededDropout}. */
export interface SeededDropoutOptions {
  /** Fraction of the inputs set to 0 while training, in [0, 1). */
  rate: number;
  /**
   * Seed of the sequence of masks.
   * @default {0}
   */
  seed?: number;
  /**
   * Layer name shown in the model summary.
   * @default {undefined} (tfjs picks a unique one)
   */
  name?: string;
}

/** The tfjs layer arguments the constructor also accepts (name, input shape, …). */
type BaseLayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

/** A call's seed from the layer seed and the call count (a 32-bit mix). */
function callSeed(seed: number, call: number): number {
  let h = Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) ^
    Math.imul(call, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Sets a random fraction `rate` of its inputs to 0 while training and scales
 * the rest by `1 / (1 - rate)`; the identity at inference. A new mask at every
 * training call, reproducible from the seed.
 */
export class SeededDropout extends tf.layers.Layer {
  /** tfjs' registry name (for saving and loading models). */
  static className = "SeededDropout";
  /** Fraction of inputs dropped while training. */
  readonly rate: number;
  /** Seed of the sequence of masks. */
  readonly seed: number;
  #calls = 0;

  /**
   * Creates the layer.
   *
   * @param args Rate, seed and tfjs layer arguments.
   * @throws {RangeError} When `rate` is outside [0, 1) or `seed` is not an integer.
   */
  constructor(args: SeededDropoutOptions & BaseLayerArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(
        `Cannot create SeededDropout: rate must be in [0, 1), received ${args.rate}`,
      );
    }
    const seed = args.seed ?? 0;
    if (!Number.isInteger(seed)) {
      throw new RangeError(
        `Cannot create SeededDropout: seed must be an integer, received ${seed}`,
      );
    }
    this.rate = args.rate;
    this.seed = seed;
  }

  /** Training calls so far: the position in the sequence of masks. */
  getRandomState(): number {
    return this.#calls;
  }

  /**
   * Puts the sequence of masks back where `getRandomState()` once was.
   *
   * @param state A value of `getRandomState()`.
   * @throws {RangeError} When `state` is not a non-negative integer.
   */
  setRandomState(state: number): void {
    if (!Number.isSafeInteger(state) || state < 0) {
      throw new RangeError(
        `Cannot set the random state of SeededDropout: state must be a non-negative integer, received ${state}`,
      );
    }
    this.#calls = state;
  }

  /** The output has the shape of the input. */
  override computeOutputShape(
    inputShape: tf.Shape | tf.Shape[],
  ): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /** Drops inputs when `kwargs.training` is true, else returns them. */
  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: { training?: boolean },
  ): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs?.training || this.rate === 0) return x;
    const seed = callSeed(this.seed, this.#calls++);
    return tf.tidy(() => tf.dropout(x, this.rate, undefined, seed));
  }

  /** The rate and seed, for saving. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/**
 * A {@linkcode SeededDropout} layer (use it instead of tfjs' seeded dropout,
 * which repeats one mask).
 *
 * @param options Rate and seed.
 * @returns The layer.
 *
 * @example A new mask at each step, the same masks for the same seed
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { seededDropout } from "./dropout.ts";
 *
 * const x = tf.ones([1, 64]);
 * const masks = (seed: number) => {
 *   const layer = seededDropout({ rate: 0.5, seed });
 *   return [0, 1].map(() => (layer.apply(x, { training: true }) as tf.Tensor).arraySync());
 * };
 * const [first, second] = masks(7);
 * assert.notDeepEqual(first, second);
 * assert.deepEqual(masks(7), [first, second]);
 * ```
 */
export function seededDropout(options: SeededDropoutOptions): SeededDropout {
  return new SeededDropout(options);
}

// Registering a class only fills tfjs' name table (no backend, no disk).
tf.serialization.registerClass(SeededDropout);
