/**
 * Data augmentation layers: random flips, rotations, zooms and translations
 * applied inside the model, the way Keras' `RandomFlip`, `RandomRotation`,
 * `RandomZoom` and `RandomTranslation` work (tfjs 4.22 has none of them, see
 * tfjs#4390). The colour augmentations (contrast, brightness) live in
 * `augment_color.ts` and share the base class {@linkcode ImageAugmentation}.
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
import { mulberry32 } from "../util/random.ts";

/** Which axes {@linkcode RandomFlip} may mirror. */
export type FlipMode = "horizontal" | "vertical" | "horizontal_and_vertical";

/** How {@linkcode RandomRotation}, {@linkcode RandomZoom} and {@linkcode RandomTranslation} fill pixels that come from outside the image. */
export type FillMode = "reflect" | "constant" | "nearest" | "wrap";

/** How a transformed pixel is sampled from the source image. */
export type Interpolation = "bilinear" | "nearest";

/** A range given as one number `f` (meaning `[-f, f]`) or as `[lower, upper]`. */
export type FactorRange = number | [number, number];

const FLIP_MODES: readonly FlipMode[] = [
  "horizontal",
  "vertical",
  "horizontal_and_vertical",
];
const FILL_MODES: readonly FillMode[] = [
  "reflect",
  "constant",
  "nearest",
  "wrap",
];
const INTERPOLATIONS: readonly Interpolation[] = ["bilinear", "nearest"];

/** Probability that one image is mirrored along an allowed axis (Keras uses a fair coin). */
const FLIP_PROBABILITY = 0.5;
/** Rotation factors are fractions of a full turn. */
const FULL_TURN = 2 * Math.PI;
/** Axis of image height in a `[batch, height, width, channels]` tensor. */
const HEIGHT_AXIS = 1;
/** Axis of image width in a `[batch, height, width, channels]` tensor. */
const WIDTH_AXIS = 2;
/**
 * Backends whose stock Transform kernel fills only the first image of a batch
 * (tfjs-backend-cpu 4.22 returns inside its batch loop): there, images are
 * transformed one at a time (see AffineAugmentation.call).
 */
const FIRST_IMAGE_ONLY_TRANSFORM = new Set(["cpu"]);
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
 * import { randomFlip } from "./augment.ts";
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

/**
 * A seeded generator that counts its draws, so its whole state is one
 * number, and it can be put back there by replaying that many draws from the
 * seed (microseconds for the draws of a whole training run).
 */
class ReplayableRandom {
  #seed: number;
  #next: () => number;
  /** Numbers drawn so far. */
  draws = 0;

  constructor(seed: number) {
    this.#seed = seed;
    this.#next = mulberry32(seed);
  }

  /** The next number in [0, 1). */
  next = (): number => {
    this.draws++;
    return this.#next();
  };

  /** Moves to the point after `draws` numbers. */
  seek(layer: string, draws: number): void {
    if (!Number.isSafeInteger(draws) || draws < 0) {
      throw new RangeError(
        `Cannot set the random state of ${layer}: state must be a non-negative integer, received ${draws}`,
      );
    }
    this.#next = mulberry32(this.#seed);
    for (let i = 0; i < draws; i++) this.#next();
    this.draws = draws;
  }
}

/** Mixes a per-layer-kind salt into the seed so two kinds of layer with the same seed do not draw the same numbers. */
function saltedSeed(seed: number, salt: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ salt) >>> 0;
}

function checkSeed(layer: string, seed: number): void {
  if (!Number.isInteger(seed)) {
    throw new TypeError(
      `Cannot create ${layer}: seed must be an integer, received ${seed}`,
    );
  }
}

function checkFill(
  layer: string,
  fillMode: string,
  interpolation: string,
  fillValue: number,
): void {
  if (!FILL_MODES.includes(fillMode as FillMode)) {
    throw new TypeError(
      `Cannot create ${layer}: fillMode must be one of ${
        FILL_MODES.join(", ")
      }, received ${fillMode}`,
    );
  }
  if (!INTERPOLATIONS.includes(interpolation as Interpolation)) {
    throw new TypeError(
      `Cannot create ${layer}: interpolation must be "bilinear" or "nearest", received ${interpolation}`,
    );
  }
  if (!Number.isFinite(fillValue)) {
    throw new TypeError(
      `Cannot create ${layer}: fillValue must be a finite number, received ${fillValue}`,
    );
  }
}

/**
 * Turns a factor option (one number `f`, meaning `[-f, f]`, or a
 * `[lower, upper]` pair) into `[lower, upper]` and checks that both ends lie
 * in `[min, max]` (`min` excluded when `minOpen`). The augmentation layers
 * use it to check their options.
 *
 * @param layer Class name of the layer, for the error message.
 * @param name Name of the option, for the error message.
 * @param factor The option as given.
 * @param min Smallest allowed end.
 * @param max Largest allowed end.
 * @param minOpen Whether `min` itself is excluded.
 * @returns The range `[lower, upper]`.
 * @throws {RangeError} When a number is negative, an end lies outside the bounds, or lower > upper.
 * @throws {TypeError} When the factor is neither a number nor a pair of numbers.
 *
 * @example One number is a symmetric range
 * ```ts
 * import assert from "node:assert/strict";
 * import { factorRange } from "./augment.ts";
 *
 * assert.deepEqual(factorRange("MyLayer", "factor", 0.2, -1, 1, false), [-0.2, 0.2]);
 * assert.throws(() => factorRange("MyLayer", "factor", [0.5, 0.1], -1, 1, false), RangeError);
 * ```
 */
export function factorRange(
  layer: string,
  name: string,
  factor: FactorRange,
  min: number,
  max: number,
  minOpen: boolean,
): [number, number] {
  const shown = Array.isArray(factor) ? `[${factor.join(", ")}]` : `${factor}`;
  let range: [number, number];
  if (typeof factor === "number") {
    if (!(factor >= 0)) {
      throw new RangeError(
        `Cannot create ${layer}: ${name} must be a number >= 0 or a [lower, upper] pair, received ${shown}`,
      );
    }
    range = [-factor, factor];
  } else if (
    Array.isArray(factor) && factor.length === 2 &&
    factor.every((v) => typeof v === "number")
  ) {
    range = [factor[0], factor[1]];
  } else {
    throw new TypeError(
      `Cannot create ${layer}: ${name} must be a number or a [lower, upper] pair, received ${shown}`,
    );
  }
  const [lower, upper] = range;
  const inside = (v: number) =>
    Number.isFinite(v) && (minOpen ? v > min : v >= min) && v <= max;
  if (!inside(lower) || !inside(upper) || lower > upper) {
    throw new RangeError(
      `Cannot create ${layer}: ${name} must lie in ${
        minOpen ? "(" : "["
      }${min}, ${max}] with lower <= upper, received ${shown}`,
    );
  }
  return range;
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
type BaseLayerArgs = NonNullable<
  ConstructorParameters<typeof tf.layers.Layer>[0]
>;

/**
 * Base of every augmentation layer here and in `augment_color.ts`: a tfjs
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
 * import { ImageAugmentation } from "./augment.ts";
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
    args: { seed?: number } & BaseLayerArgs,
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

// ---------------------------------------------------------------- RandomFlip

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
  constructor(args: RandomFlipOptions & BaseLayerArgs = {}) {
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
    const axes: number[] = [];
    if (this.mode !== "vertical") axes.push(WIDTH_AXIS);
    if (this.mode !== "horizontal") axes.push(HEIGHT_AXIS);
    // For every image, one coin per allowed axis (drawn image by image so
    // the sequence does not depend on the mode order).
    const coins = axes.map(() => new Array<boolean>(n));
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < axes.length; a++) {
        coins[a][i] = this.random() < FLIP_PROBABILITY;
      }
    }
    return tf.tidy(() => {
      let out: tf.Tensor4D = batch;
      axes.forEach((axis, a) => {
        // Mirror the whole batch, then keep the mirrored copy only for the
        // images whose coin came up: where(mask, flipped, original).
        const mask = tf.tensor4d(coins[a].map(Number), [n, 1, 1, 1], "bool");
        const flipped = tf.reverse(out, axis);
        out = tf.where(tf.broadcastTo(mask, out.shape), flipped, out);
      });
      return out;
    });
  }

  /** The constructor options, saved in `model.json`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
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
 * import { randomFlip } from "./augment.ts";
 *
 * const flip = randomFlip({ mode: "horizontal", seed: 1 });
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
 * assert.deepEqual(await (flip.apply(x) as tf.Tensor).data(), await x.data());
 * ```
 */
export function randomFlip(options: RandomFlipOptions = {}): RandomFlip {
  return new RandomFlip(options);
}

// ------------------------------------------------------------ RandomRotation

/** Options shared by the affine augmentations (rotation, zoom, translation). */
interface AffineOptions {
  /**
   * How to fill pixels that come from outside the image: "reflect" mirrors the
   * image at its edge (d c b a | a b c d), "constant" uses `fillValue`,
   * "nearest" repeats the edge pixel, "wrap" tiles the image.
   * @default {"reflect"}
   */
  fillMode?: FillMode;
  /**
   * How a pixel is read from its (fractional) source position.
   * @default {"bilinear"}
   */
  interpolation?: Interpolation;
  /**
   * Value used outside the image when `fillMode` is "constant".
   * @default {0}
   */
  fillValue?: number;
  /**
   * Seed of the layer's random generator.
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
 * Base of the affine augmentations: draws one `[a0, a1, a2, b0, b1, b2,
 * 0, 0]` matrix per image (mapping each output pixel to the input pixel it
 * is read from) and applies them with `tf.image.transform`.
 */
abstract class AffineAugmentation extends ImageAugmentation {
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly fillValue: number;

  constructor(
    layer: string,
    salt: number,
    args: AffineOptions & BaseLayerArgs,
  ) {
    super(layer, salt, args);
    this.fillMode = args.fillMode ?? "reflect";
    this.interpolation = args.interpolation ?? "bilinear";
    this.fillValue = args.fillValue ?? 0;
    checkFill(layer, this.fillMode, this.interpolation, this.fillValue);
  }

  /** One inverse transform (output → input coordinates) for an image of size h×w. */
  protected abstract matrix(height: number, width: number): number[];

  protected augment(batch: tf.Tensor4D): tf.Tensor4D {
    const [n, h, w] = batch.shape;
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(this.matrix(h, w));
    const apply = (images: tf.Tensor4D, matrices: number[][]) =>
      tf.image.transform(
        images,
        tf.tensor2d(matrices, [matrices.length, 8]),
        this.interpolation,
        this.fillMode,
        this.fillValue,
      );
    return tf.tidy(() => {
      if (!FIRST_IMAGE_ONLY_TRANSFORM.has(tf.getBackend())) {
        return apply(batch, rows);
      }
      // A tfjs bug workaround: one image at a time, then stacked.
      const parts = tf.split<tf.Tensor4D>(batch, n, 0).map((image, i) =>
        apply(image, [rows[i]])
      );
      return tf.concat(parts, 0);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      fillMode: this.fillMode,
      interpolation: this.interpolation,
      fillValue: this.fillValue,
    };
  }
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
  constructor(args: RandomRotationOptions & BaseLayerArgs = {}) {
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
 * import { randomRotation } from "./augment.ts";
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

// ---------------------------------------------------------------- RandomZoom

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
  constructor(args: RandomZoomOptions & BaseLayerArgs = {}) {
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
 * import { randomZoom } from "./augment.ts";
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

// --------------------------------------------------------- RandomTranslation

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
  constructor(args: RandomTranslationOptions & BaseLayerArgs) {
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
 * import { randomTranslation } from "./augment.ts";
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

// Registration makes `tf.loadLayersModel` able to rebuild these layers from
// the class names stored in model.json. It only fills tfjs' name → class
// table (no backend, no disk), so it is safe at import time.
tf.serialization.registerClass(RandomFlip);
tf.serialization.registerClass(RandomRotation);
tf.serialization.registerClass(RandomZoom);
tf.serialization.registerClass(RandomTranslation);
