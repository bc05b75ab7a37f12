/**
 * The base of the geometric augmentations (rotation, zoom, translation): each
 * draws one affine map per image and applies it with `tf.image.transform`,
 * filling pixels that come from outside the image as `fillMode` says.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type AugmentationLayerArgs,
  ImageAugmentation,
} from "./image_augmentation.ts";

/** How `RandomRotation`, `RandomZoom` and `RandomTranslation` fill pixels that come from outside the image. */
export type FillMode = "reflect" | "constant" | "nearest" | "wrap";

/** How a transformed pixel is sampled from the source image. */
export type Interpolation = "bilinear" | "nearest";

const FILL_MODES: readonly FillMode[] = [
  "reflect",
  "constant",
  "nearest",
  "wrap",
];
const INTERPOLATIONS: readonly Interpolation[] = ["bilinear", "nearest"];

/**
 * Backends whose stock Transform kernel fills only the first image of a batch
 * (tfjs-backend-cpu 4.22 returns inside its batch loop): there, images are
 * transformed one at a time (see `AffineAugmentation.augment`).
 */
const FIRST_IMAGE_ONLY_TRANSFORM = new Set(["cpu"]);

/**
 * Checks the fill options shared by the affine augmentations.
 *
 * @param layer Class name of the layer, for the error message.
 * @param fillMode The `fillMode` option.
 * @param interpolation The `interpolation` option.
 * @param fillValue The `fillValue` option.
 * @throws {TypeError} When one is unknown or not a finite number.
 */
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

/** Options shared by the affine augmentations (rotation, zoom, translation). */
export interface AffineOptions {
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

/**
 * Base of the affine augmentations: draws one `[a0, a1, a2, b0, b1, b2,
 * 0, 0]` matrix per image (mapping each output pixel to the input pixel it
 * is read from) and applies them with `tf.image.transform`.
 */
export abstract class AffineAugmentation extends ImageAugmentation {
  /** How pixels from outside the image are filled. */
  readonly fillMode: FillMode;
  /** How a pixel is read from its source position. */
  readonly interpolation: Interpolation;
  /** Value outside the image when `fillMode` is "constant". */
  readonly fillValue: number;

  /**
   * Checks the fill options (the seed is checked by the base class).
   *
   * @param layer Class name of the layer, for error messages.
   * @param salt Mixed into the seed (see {@linkcode ImageAugmentation}).
   * @param args Fill options, seed and tfjs layer arguments.
   * @throws {TypeError} When `fillMode` or `interpolation` is unknown, or `fillValue` not finite.
   */
  constructor(
    layer: string,
    salt: number,
    args: AffineOptions & AugmentationLayerArgs,
  ) {
    super(layer, salt, args);
    this.fillMode = args.fillMode ?? "reflect";
    this.interpolation = args.interpolation ?? "bilinear";
    this.fillValue = args.fillValue ?? 0;
    checkFill(layer, this.fillMode, this.interpolation, this.fillValue);
  }

  /** One inverse transform (output → input coordinates) for an image of size h×w. */
  protected abstract matrix(height: number, width: number): number[];

  /** Draws one matrix per image and transforms the batch with them. */
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

  /** The constructor options, saved in `model.json`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      fillMode: this.fillMode,
      interpolation: this.interpolation,
      fillValue: this.fillValue,
    };
  }
}
