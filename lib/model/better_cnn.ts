/**
 * A better CNN for flower photos, trained from scratch: the recipe notebook
 * 5 builds one idea at a time, and `deno task flowers --model better` trains.
 *
 * ```text
 * (augmentation) → Rescaling(1/255)
 *   → stem: Conv 32 3×3 stride 2 → BatchNorm → ReLU            (180 → 90)
 *   → for each of 64, 128, 256 filters:
 *       MaxPool 2×2 → [Conv 3×3 → BatchNorm → ReLU] × convsPerBlock
 *   → GlobalAveragePooling → Dropout → Dense numClasses (logits)
 * ```
 *
 * What each piece is for:
 * - **Stride-2 stem**: the first convolution looks at every other pixel
 *   position, so the 180×180 photo is halved at once. The expensive layers
 *   then work on 90×90 and smaller maps, which buys more filters for the
 *   same time.
 * - **Batch normalisation**: each convolution's outputs are rescaled to mean
 *   0 and variance 1 over the batch (then shifted and scaled by two learned
 *   numbers per filter). Every layer then sees inputs of a steady size
 *   however the layers below it change, so a higher learning rate trains
 *   stably. A convolution followed by batch normalisation needs no bias:
 *   the normalisation's shift replaces it.
 * - **Global average pooling**: instead of flattening the last feature maps
 *   into a 4-million-weight dense layer (the tutorial model's largest
 *   layer, and where it memorises), each filter's map is averaged into one
 *   number: "how much of this pattern is in the photo, anywhere".
 * - **Dropout** before the classifier, as in notebook 3.
 *
 * Without `batchNorm` the convolutions get a bias and a ReLU of their own
 * (the tutorial's blocks); with `head: "flatten"` the tutorial's Flatten →
 * Dense 128 head is used. Those two switches let notebook 5 measure what
 * each change buys.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { randomFlip } from "./random_flip.ts";
import { randomRotation } from "./random_rotation.ts";
import { randomZoom } from "./random_zoom.ts";
import { randomTranslation } from "./random_translation.ts";
import { randomContrast } from "./random_contrast.ts";
import { randomBrightness } from "./random_brightness.ts";
import { seededDropout } from "./dropout.ts";
import { compileClassifier } from "./cnn.ts";

/** How much augmentation to put in front of the network. */
export type AugmentationStrength = "none" | "tutorial" | "strong";

/** Pixel values arrive in [0, 255]; the network works on [0, 1]. */
const PIXEL_SCALE = 1 / 255;
/** Units of the tutorial head's hidden dense layer. */
const DENSE_UNITS = 128;

/** Options of {@linkcode createBetterCnn}. */
export interface BetterCnnOptions {
  /**
   * Number of classes (units of the last layer).
   * @default {5}
   */
  numClasses?: number;
  /**
   * Input image size `[height, width]`.
   * @default {[180, 180]}
   */
  imageSize?: [number, number];
  /**
   * Colour channels of the input images.
   * @default {3}
   */
  channels?: number;
  /**
   * `"tutorial"`: horizontal flip, rotation 0.1, zoom 0.1 (notebook 3);
   * `"strong"`: those plus zoom 0.2, translation 0.1, contrast 0.2 and
   * brightness 0.1; `"none"`: no augmentation layers.
   * @default {"strong"}
   */
  augment?: AugmentationStrength;
  /**
   * Filters of the stride-2 stem convolution; 0 leaves the stem out.
   * @default {32}
   */
  stem?: number;
  /**
   * Filters of each block (each block starts with a 2×2 max-pool).
   * @default {[64, 128, 256]}
   */
  filters?: number[];
  /**
   * Convolutions per block.
   * @default {1}
   */
  convsPerBlock?: number;
  /**
   * Batch normalisation after every convolution.
   * @default {true}
   */
  batchNorm?: boolean;
  /**
   * `"gap"`: global average pooling straight into the classifier;
   * `"flatten"`: the tutorial's Flatten → Dense 128 ReLU.
   * @default {"gap"}
   */
  head?: "gap" | "flatten";
  /**
   * Dropout rate before the classifier; 0 leaves the layer out.
   * @default {0.3}
   */
  dropout?: number;
  /**
   * Learning rate of the default optimizer (Adam); ignored when
   * `optimizer` is given.
   * @default {0.001}
   */
  learningRate?: number;
  /**
   * The optimizer (for example `adamw(...)` from the train stage).
   * @default {tf.train.adam(learningRate)}
   */
  optimizer?: tf.Optimizer;
  /**
   * Label smoothing of the loss (0 = plain cross-entropy).
   * @default {0}
   */
  labelSmoothing?: number;
  /**
   * Seed of the initial weights, the augmentation and the dropout.
   * @default {0}
   */
  seed?: number;
}

/**
 * The augmentation layers of `strength`, first one given `inputShape`:
 * `"tutorial"` is notebook 3's flip, rotation 0.1 and zoom 0.1; `"strong"`
 * zooms up to 0.2 and adds translation 0.1, contrast 0.2 and brightness 0.1.
 * Shared by {@linkcode createBetterCnn} and the residual CNN.
 *
 * @param strength How much augmentation (`"none"`: no layers).
 * @param seed Seed of every layer's randomness.
 * @param inputShape `[height, width, channels]` of the photos.
 * @returns The layers, in the order they apply.
 */
export function augmentationLayers(
  strength: AugmentationStrength,
  seed: number,
  inputShape: number[],
): tf.layers.Layer[] {
  if (strength === "none") return [];
  const strong = strength === "strong";
  return [
    randomFlip({ mode: "horizontal", seed, inputShape }),
    randomRotation({ factor: 0.1, seed }),
    randomZoom({ heightFactor: strong ? 0.2 : 0.1, seed }),
    ...(strong
      ? [
        randomTranslation({ heightFactor: 0.1, widthFactor: 0.1, seed }),
        randomContrast({ factor: 0.2, seed }),
        randomBrightness({ factor: 0.1, seed }),
      ]
      : []),
  ];
}

function fail(message: string): never {
  throw new RangeError(`Cannot create the better CNN: ${message}`);
}

function checkCount(name: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    fail(`${name} must be an integer ≥ ${min}, received ${value}`);
  }
}

/**
 * Builds and compiles the better CNN (see the module documentation for the
 * layers and what each is for). The model outputs logits, is compiled like
 * the tutorial CNN (sparse cross-entropy from logits, metric `acc`) and
 * uses only stock tfjs layers besides the augmentation and dropout layers,
 * so it saves, loads and runs in a web page like the tutorial model.
 *
 * @param options Classes, size, augmentation, architecture switches,
 *   optimizer, label smoothing and seed.
 * @returns A compiled `tf.Sequential` named `better_cnn`.
 * @throws {RangeError} When a count is not a positive integer, a rate is out
 *   of range or the learning rate is not positive.
 *
 * @example 180×180 photos, five classes
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBetterCnn } from "./better_cnn.ts";
 *
 * const model = createBetterCnn({ augment: "none" });
 * assert.deepEqual(model.outputShape, [null, 5]);
 * assert.ok(model.countParams() < 500_000); // the tutorial CNN: 3,989,285
 * model.dispose();
 * ```
 */
export function createBetterCnn(options: BetterCnnOptions = {}): tf.Sequential {
  const {
    numClasses = 5,
    imageSize = [180, 180],
    channels = 3,
    augment = "strong",
    stem = 32,
    filters = [64, 128, 256],
    convsPerBlock = 1,
    batchNorm = true,
    head = "gap",
    dropout = 0.3,
    learningRate = 0.001,
    optimizer,
    labelSmoothing = 0,
    seed = 0,
  } = options;
  checkCount("numClasses", numClasses);
  checkCount("imageSize[0]", imageSize[0]);
  checkCount("imageSize[1]", imageSize[1]);
  checkCount("channels", channels);
  checkCount("stem", stem, 0);
  checkCount("convsPerBlock", convsPerBlock);
  if (filters.length === 0) fail("filters must list at least one block");
  filters.forEach((f, i) => checkCount(`filters[${i}]`, f));
  if (!["none", "tutorial", "strong"].includes(augment)) {
    fail(`augment must be "none", "tutorial" or "strong", received ${augment}`);
  }
  if (head !== "gap" && head !== "flatten") {
    fail(`head must be "gap" or "flatten", received ${head}`);
  }
  if (!(dropout >= 0 && dropout < 1)) {
    fail(`dropout must be in [0, 1), received ${dropout}`);
  }
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
    fail(`labelSmoothing must be in [0, 1), received ${labelSmoothing}`);
  }
  if (!(learningRate > 0)) {
    fail(`learningRate must be > 0, received ${learningRate}`);
  }
  if (!Number.isInteger(seed)) {
    throw new TypeError(
      `Cannot create the better CNN: seed must be an integer, received ${seed}`,
    );
  }
  const inputShape = [imageSize[0], imageSize[1], channels];
  let nextSeed = seed * 1000;
  const init = () => tf.initializers.glorotUniform({ seed: nextSeed++ });

  const model = tf.sequential({ name: "better_cnn" });
  for (const layer of augmentationLayers(augment, seed, inputShape)) {
    model.add(layer);
  }
  model.add(tf.layers.rescaling({
    scale: PIXEL_SCALE,
    ...(augment === "none" ? { inputShape } : {}),
  }));
  // Short layer names (block2_conv1, block2_bn1, …) so the summary reads as
  // the architecture does.
  const conv = (units: number, strides: number, name: string) => {
    model.add(tf.layers.conv2d({
      name: `${name}_conv`,
      filters: units,
      kernelSize: 3,
      strides,
      padding: "same",
      useBias: !batchNorm,
      activation: batchNorm ? "linear" : "relu",
      kernelInitializer: init(),
    }));
    if (batchNorm) {
      model.add(tf.layers.batchNormalization({ name: `${name}_bn` }));
      model.add(tf.layers.reLU({ name: `${name}_relu` }));
    }
  };
  if (stem > 0) conv(stem, 2, "stem");
  for (const [b, units] of filters.entries()) {
    model.add(
      tf.layers.maxPooling2d({ poolSize: 2, name: `block${b + 1}_pool` }),
    );
    for (let i = 0; i < convsPerBlock; i++) {
      conv(units, 1, `block${b + 1}${convsPerBlock > 1 ? `_${i + 1}` : ""}`);
    }
  }
  if (head === "gap") {
    model.add(tf.layers.globalAveragePooling2d({ name: "global_pool" }));
    if (dropout > 0) model.add(seededDropout({ rate: dropout, seed }));
  } else {
    if (dropout > 0) model.add(seededDropout({ rate: dropout, seed }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({
      units: DENSE_UNITS,
      activation: "relu",
      kernelInitializer: init(),
    }));
  }
  model.add(tf.layers.dense({
    units: numClasses,
    kernelInitializer: init(),
    name: "logits",
  }));
  compileClassifier(model, learningRate, { optimizer, labelSmoothing });
  return model;
}
