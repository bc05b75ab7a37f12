/**
 * A residual CNN for flower photos: the better CNN's stem and stages, each
 * stage a _basic block_ of two convolutions with a shortcut around them
 * (He et al., 2016, "Deep residual learning"; d2l.ai's ResNet chapter).
 *
 * ```text
 * (augmentation) → Rescaling(1/255)
 *   → stem: Conv 32 3×3 stride 2 → BatchNorm → ReLU
 *   → for each of the stages' filters f:
 *       MaxPool 2×2 → x
 *       y = Conv f 3×3 → BatchNorm → ReLU → Conv f 3×3 → BatchNorm
 *       out = ReLU(y + shortcut(x))     shortcut: x itself when x has f
 *                                       channels, else Conv f 1×1 → BatchNorm
 *   → GlobalAveragePooling → Dropout → Dense numClasses (logits)
 * ```
 *
 * What the shortcut is for: a block only has to learn what to _add_ to its
 * input, and the gradient reaches the lower layers through the additions
 * undiminished. Deeper plain networks train worse than shallower ones (their
 * training error is higher, not just their validation error); with
 * shortcuts the extra layers can do no harm, since a block whose weights are
 * zero passes its input on. `shortcuts: false` builds the same network
 * without them, so the two can be compared.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { augmentationLayers, type AugmentationStrength } from "./better_cnn.ts";
import { seededDropout } from "./dropout.ts";
import { compileClassifier } from "./cnn.ts";

/** Options of {@linkcode createResidualCnn}. */
export interface ResidualCnnOptions {
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
   * Augmentation in front of the network (see `createBetterCnn`).
   * @default {"strong"}
   */
  augment?: AugmentationStrength;
  /**
   * Filters of the stride-2 stem convolution.
   * @default {32}
   */
  stem?: number;
  /**
   * Filters of each stage (each stage: a 2×2 max-pool, then one basic block).
   * @default {[32, 64, 128]}
   */
  filters?: number[];
  /**
   * The shortcuts around each block; `false` gives the same plain network.
   * @default {true}
   */
  shortcuts?: boolean;
  /**
   * Batch normalisation after every convolution (without it the
   * convolutions get a bias).
   * @default {true}
   */
  batchNorm?: boolean;
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

function fail(message: string): never {
  throw new RangeError(`Cannot create the residual CNN: ${message}`);
}

/**
 * Builds and compiles the residual CNN (see the module documentation). It
 * outputs logits and is compiled like the other classifiers (sparse
 * cross-entropy from logits, metric `acc`); it is a functional
 * `tf.LayersModel`, since a shortcut is not a stack of layers.
 *
 * @param options Classes, size, augmentation, stages, shortcuts, batch
 *   normalisation, optimizer, label smoothing and seed.
 * @returns A compiled model named `residual_cnn` (or `plain_cnn` without
 *   shortcuts).
 * @throws {RangeError} When a count is not a positive integer or a rate is
 *   out of range.
 *
 * @example With and without shortcuts: the same weights to learn
 * ```ts
 * import assert from "node:assert/strict";
 * import { createResidualCnn } from "./residual_cnn.ts";
 *
 * const residual = createResidualCnn({ augment: "none", imageSize: [32, 32] });
 * const plain = createResidualCnn({ augment: "none", imageSize: [32, 32], shortcuts: false });
 * assert.deepEqual(residual.outputs[0].shape, [null, 5]);
 * // the 1×1 projections (where the channels change) are the difference
 * assert.ok(residual.countParams() > plain.countParams());
 * residual.dispose();
 * plain.dispose();
 * ```
 */
export function createResidualCnn(
  options: ResidualCnnOptions = {},
): tf.LayersModel {
  const {
    numClasses = 5,
    imageSize = [180, 180],
    augment = "strong",
    stem = 32,
    filters = [32, 64, 128],
    shortcuts = true,
    batchNorm = true,
    dropout = 0.3,
    learningRate = 0.001,
    optimizer,
    labelSmoothing = 0,
    seed = 0,
  } = options;
  const counts: [string, number][] = [
    ["numClasses", numClasses],
    ["imageSize[0]", imageSize[0]],
    ["imageSize[1]", imageSize[1]],
    ["stem", stem],
    ...filters.map((f, i): [string, number] => [`filters[${i}]`, f]),
  ];
  for (const [name, value] of counts) {
    if (!Number.isInteger(value) || value < 1) {
      fail(`${name} must be an integer ≥ 1, received ${value}`);
    }
  }
  if (filters.length === 0) fail("filters must list at least one stage");
  if (!["none", "tutorial", "strong"].includes(augment)) {
    fail(`augment must be "none", "tutorial" or "strong", received ${augment}`);
  }
  if (!(dropout >= 0 && dropout < 1)) {
    fail(`dropout must be in [0, 1), received ${dropout}`);
  }
  if (!Number.isInteger(seed)) {
    fail(`seed must be an integer, received ${seed}`);
  }
  const inputShape = [imageSize[0], imageSize[1], 3];
  let nextSeed = seed * 1000;
  const init = () => tf.initializers.glorotUniform({ seed: nextSeed++ });

  const input = tf.input({ shape: inputShape, name: "photo" });
  let x = input as tf.SymbolicTensor;
  const apply = (layer: tf.layers.Layer, t: tf.SymbolicTensor) =>
    layer.apply(t) as tf.SymbolicTensor;
  for (const layer of augmentationLayers(augment, seed, inputShape)) {
    x = apply(layer, x);
  }
  x = apply(tf.layers.rescaling({ scale: 1 / 255 }), x);
  /** Conv → (BatchNorm) → (ReLU). */
  const conv = (
    t: tf.SymbolicTensor,
    units: number,
    size: number,
    strides: number,
    name: string,
    relu: boolean,
  ) => {
    let y = apply(
      tf.layers.conv2d({
        name: `${name}_conv`,
        filters: units,
        kernelSize: size,
        strides,
        padding: "same",
        useBias: !batchNorm,
        kernelInitializer: init(),
      }),
      t,
    );
    if (batchNorm) {
      y = apply(tf.layers.batchNormalization({ name: `${name}_bn` }), y);
    }
    return relu ? apply(tf.layers.reLU({ name: `${name}_relu` }), y) : y;
  };
  x = conv(x, stem, 3, 2, "stem", true);
  let channels = stem;
  for (const [s, units] of filters.entries()) {
    const name = `stage${s + 1}`;
    x = apply(tf.layers.maxPooling2d({ poolSize: 2, name: `${name}_pool` }), x);
    let y = conv(x, units, 3, 1, `${name}_1`, true);
    y = conv(y, units, 3, 1, `${name}_2`, false);
    if (shortcuts) {
      const shortcut = channels === units
        ? x
        : conv(x, units, 1, 1, `${name}_projection`, false);
      y = tf.layers.add({ name: `${name}_add` }).apply([
        y,
        shortcut,
      ]) as tf.SymbolicTensor;
    }
    x = apply(tf.layers.reLU({ name: `${name}_relu` }), y);
    channels = units;
  }
  x = apply(tf.layers.globalAveragePooling2d({ name: "global_pool" }), x);
  if (dropout > 0) x = apply(seededDropout({ rate: dropout, seed }), x);
  const logits = apply(
    tf.layers.dense({
      units: numClasses,
      kernelInitializer: init(),
      name: "logits",
    }),
    x,
  );
  const model = tf.model({
    inputs: input,
    outputs: logits,
    name: shortcuts ? "residual_cnn" : "plain_cnn",
  });
  compileClassifier(model, learningRate, { optimizer, labelSmoothing });
  return model;
}
