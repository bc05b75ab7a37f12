/**
 * The base of the data augmentation layers: random flips, rotations, zooms,
 * translations, contrast and brightness applied inside the model, the way
 * Keras' `RandomFlip`, `RandomRotation`, … work (tfjs 4.22 has none of them,
 * see tfjs#4390). Each layer lives in its own file (`random_flip.ts`,
 * `random_rotation.ts`, …) and extends {@linkcode ImageAugmentation}.
 *
 * Augmentation shows the network a slightly different version of every
 * training image each epoch, so it cannot memorise pixel positions and has to
 * learn features that survive a mirror, a tilt or a change of scale. That
 * reduces overfitting on a small dataset such as flower_photos.
 *
 * The layers only change images while training (`model.fit`); at inference
 * (`model.predict`, `model.evaluate`) they pass the input through unchanged.
 * Each layer draws its random numbers from its own seeded generator, so one
 * seed gives the same augmentation sequence on every run. They are registered
 * with `tf.serialization`, so a saved model that contains them loads again.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ReplayableRandom, saltedSeed } from "./_replayable_random.ts";

/** Default seed of the augmentation layers, so runs are reproducible without one. */
const DEFAULT_SEED = 0;

/**
 * A layer whose randomness can be saved and put back, so that a training run
 * stopped after an epoch continues with the same augmentation as one that
 * never stopped: a checkpoint stores `getRandomState()` and a resumed run
 * calls `setRandomState()` with it. The augmentation layers here implement
 * it; the state is the count of numbers drawn from the layer's seeded
 * generator.
 *
 * @example Restoring the state repeats the same flips
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { randomFlip } from "./random_flip.ts";
 *
 * const flip = randomFlip({ mode: "horizontal", seed: 5 });
 * const x = tf.tensor4d([...Array(32).keys()], [8, 2, 2, 1]);
 * const state = flip.getRandomState();
 * const first = await (flip.apply(x, { training: true }) as tf.Tensor).data();
 * flip.setRandomState(state);
 * const again = await (flip.apply(x, { training: true }) as tf.Tensor).data();
 * assert.deepEqual(again, first);
 * assert.equal(flip.getRandomState(), state + 8);
 * ```
 */
export interface RandomStateful {
  /** The position of the layer's random generator (a non-negative integer). */
  getRandomState(): number;
  /** Puts the generator back to a position from `getRandomState()`. */
  setRandomState(state: number): void;
}

/** Checks that a layer's seed is an integer. */
function checkSeed(layer: string, seed: number): void {
  if (!Number.isInteger(seed)) {
    throw new TypeError(
      `Cannot create ${layer}: seed must be an integer, received ${seed}`,
    );
  }
}

/** The tensor a layer got: tfjs passes either one tensor or a list of one. */
function singleInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/**
 * Runs `augment` on a batch `[b, h, w, c]`, or on one image `[h, w, c]` by
 * treating it as a batch of one.
 */
function onBatch(
  layer: string,
  x: tf.Tensor,
  augment: (batch: tf.Tensor4D) => tf.Tensor4D,
): tf.Tensor {
  if (x.rank === 4) return augment(x as tf.Tensor4D);
  if (x.rank === 3) {
    return tf.tidy(() =>
      tf.squeeze(augment(tf.expandDims(x, 0) as tf.Tensor4D), [0])
    );
  }
  throw new RangeError(
    `Cannot apply ${layer}: expected images of shape [batch, height, width, channels] or [height, width, channels], received shape [${x.shape}]`,
  );
}

/** Common constructor arguments of the augmentation layers (tfjs `LayerArgs`). */
export type AugmentationLayerArgs = NonNullable<
  ConstructorParameters<typeof tf.layers.Layer>[0]
>;

/**
 * Base of every augmentation layer (`random_flip.ts`, `random_contrast.ts`, …): a tfjs
 * layer with its own seeded, replayable random generator
 * ({@linkcode RandomStateful}) that passes its input through unchanged at
 * inference and, while training, hands each batch `[batch, height, width,
 * channels]` (one image `[height, width, channels]` becomes a batch of one)
 * to the subclass's `augment`. Subclasses draw their random numbers with
 * `random()` or `uniform()`, so the checkpoint code can save and restore the
 * stream.
 *
 * @example A minimal augmentation: add noise of one random level per batch
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { ImageAugmentation } from "./image_augmentation.ts";
 *
 * class RandomOffset extends ImageAugmentation {
 *   static className = "RandomOffset";
 *   constructor(seed: number) {
 *     super("RandomOffset", 0x0ff5, { seed });
 *   }
 *   protected augment(batch: tf.Tensor4D): tf.Tensor4D {
 *     return tf.add(batch, this.uniform([0, 1]));
 *   }
 * }
 * const layer = new RandomOffset(1);
 * const x = tf.zeros([1, 2, 2, 1]);
 * assert.deepEqual(await (layer.apply(x) as tf.Tensor).data(), await x.data());
 * layer.apply(x, { training: true });
 * assert.equal(layer.getRandomState(), 1);
 * ```
 */
export abstract class ImageAugmentation extends tf.layers.Layer
  implements RandomStateful {
  /** Seed of the random generator; the same seed gives the same augmentation. */
  readonly seed: number;
  #generator: ReplayableRandom;

  /**
   * Checks the seed and creates the generator.
   *
   * @param layer Class name of the layer, for error messages.
   * @param salt Mixed into the seed so that different kinds of layer with the same seed draw different numbers.
   * @param args Seed plus tfjs layer arguments.
   * @throws {TypeError} When `seed` is not an integer.
   */
  constructor(
    layer: string,
    salt: number,
    args: { seed?: number } & AugmentationLayerArgs,
  ) {
    super(args);
    this.seed = args.seed ?? DEFAULT_SEED;
    checkSeed(layer, this.seed);
    this.#generator = new ReplayableRandom(saltedSeed(this.seed, salt));
  }

  /**
   * The next number of the layer's generator, uniform in [0, 1).
   *
   * @returns The number.
   */
  protected random(): number {
    return this.#generator.next();
  }

  /**
   * A number drawn uniformly from `[lower, upper]` (one draw).
   *
   * @param range The range `[lower, upper]`.
   * @returns The number.
   */
  protected uniform([lower, upper]: [number, number]): number {
    return lower + (upper - lower) * this.random();
  }

  /**
   * Augments one batch of images while training.
   *
   * @param batch Images `[batch, height, width, channels]`.
   * @returns The augmented images, same shape.
   */
  protected abstract augment(batch: tf.Tensor4D): tf.Tensor4D;

  /**
   * Numbers drawn so far (see {@linkcode RandomStateful}).
   *
   * @returns The generator's position.
   */
  getRandomState(): number {
    return this.#generator.draws;
  }

  /**
   * Puts the generator where `getRandomState()` once was.
   *
   * @param state A value of `getRandomState()`.
   * @throws {RangeError} When `state` is not a non-negative integer.
   */
  setRandomState(state: number): void {
    this.#generator.seek(this.getClassName(), state);
  }

  /**
   * The output has the shape of the input.
   *
   * @param inputShape Shape of the input.
   * @returns The same shape.
   */
  override computeOutputShape(
    inputShape: tf.Shape | tf.Shape[],
  ): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /**
   * Augments images when `kwargs.training` is true, else returns the input.
   *
   * @param inputs Images `[batch, height, width, channels]` or `[height, width, channels]`.
   * @param kwargs `training` is true inside `model.fit`.
   * @returns The (augmented) images.
   * @throws {RangeError} When the input is not of rank 3 or 4.
   */
  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: { training?: boolean },
  ): tf.Tensor {
    const x = singleInput(inputs);
    if (!kwargs?.training) return x;
    return onBatch(this.getClassName(), x, (batch) => this.augment(batch));
  }

  /**
   * The constructor options, saved in `model.json`.
   *
   * @returns tfjs' layer config plus the seed.
   */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
