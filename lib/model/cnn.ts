/**
 * The convolutional network of TensorFlow's "Image classification" tutorial,
 * built with tfjs layers, plus the loss and metric it is compiled with.
 *
 * ```text
 * (augmentation) → Rescaling(1/255)
 *   → Conv 16 3×3 same ReLU → MaxPool 2×2
 *   → Conv 32 3×3 same ReLU → MaxPool 2×2
 *   → Conv 64 3×3 same ReLU → MaxPool 2×2
 *   → (Dropout 0.2) → Flatten → Dense 128 ReLU → Dense numClasses (logits)
 * ```
 *
 * Each convolution learns small local patterns (edges, then textures, then
 * petal shapes); each max-pool halves the resolution so the next layer sees a
 * wider area. The last layer outputs one unnormalised score (logit) per
 * class; softmax turns them into probabilities when we need them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { randomFlip } from "./random_flip.ts";
import { randomRotation } from "./random_rotation.ts";
import { randomZoom } from "./random_zoom.ts";
import { seededDropout } from "./dropout.ts";

/** Filters of the three convolution blocks, as in the tutorial. */
const CONV_FILTERS = [16, 32, 64] as const;
/** Kernel size of every convolution. */
const KERNEL_SIZE = 3;
/** Units of the hidden dense layer. */
const DENSE_UNITS = 128;
/** Pixel values arrive in [0, 255]; the network works on [0, 1]. */
const PIXEL_SCALE = 1 / 255;
/** Adam's default step size (Keras and the tutorial use it). */
const DEFAULT_LEARNING_RATE = 0.001;
/** Tutorial augmentation: rotations up to ±10% of a turn. */
const AUGMENT_ROTATION = 0.1;
/** Tutorial augmentation: zoom in or out by up to 10%. */
const AUGMENT_ZOOM = 0.1;

/** Options of {@linkcode createTutorialCnn}. */
export interface TutorialCnnOptions {
  /**
   * Number of classes (units of the last layer).
   * @default {5} (flower_photos)
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
   * Put the tutorial's augmentation (horizontal flip, rotation 0.1, zoom
   * 0.1) in front of the network; it only acts while training.
   * @default {false}
   */
  augment?: boolean;
  /**
   * Dropout rate after the last pooling layer (the tutorial uses 0.2 to
   * fight overfitting); 0 leaves the layer out.
   * @default {0}
   */
  dropout?: number;
  /**
   * Adam learning rate.
   * @default {0.001}
   */
  learningRate?: number;
  /**
   * Seed of the initial weights and of the augmentation layers.
   * @default {0}
   */
  seed?: number;
}

/**
 * Sparse categorical cross-entropy on logits (Keras'
 * `SparseCategoricalCrossentropy(from_logits=True)`): the mean over the batch
 * of `-log softmax(logits)[label]`. tfjs-layers has no `from_logits` option,
 * so the model is compiled with this function.
 *
 * @param labels Integer class ids, shape `[batch]` or `[batch, 1]`.
 * @param logits Raw scores, shape `[batch, numClasses]`.
 * @param labelSmoothing ε in [0, 1): the target puts 1 − ε + ε/K on the
 *   true class and ε/K on each of the K classes (0: plain one-hot).
 * @returns The mean loss (a scalar).
 *
 * @example Confident and right costs little
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { sparseCategoricalCrossentropyFromLogits } from "./cnn.ts";
 *
 * const loss = sparseCategoricalCrossentropyFromLogits(
 *   tf.tensor1d([0]), tf.tensor2d([[10, 0]]));
 * assert.ok(loss.dataSync()[0] < 0.001);
 * ```
 */
export function sparseCategoricalCrossentropyFromLogits(
  labels: tf.Tensor,
  logits: tf.Tensor,
  labelSmoothing = 0,
): tf.Scalar {
  return tf.tidy(() => {
    const numClasses = logits.shape[logits.shape.length - 1]!;
    const ids = tf.cast(tf.reshape(labels, [-1]), "int32") as tf.Tensor1D;
    // log-softmax is computed in a numerically stable way (max subtracted).
    const logProbs = tf.logSoftmax(logits);
    let target: tf.Tensor = tf.oneHot(ids, numClasses);
    if (labelSmoothing > 0) {
      // Keras' label smoothing: the true class gets 1 - ε + ε/K, every
      // class ε/K, so the model is never pushed to infinite confidence.
      target = tf.add(
        tf.mul(target, 1 - labelSmoothing),
        labelSmoothing / numClasses,
      );
    }
    const picked = tf.sum(tf.mul(target, logProbs), -1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/**
 * Fraction of rows whose highest logit is at the true label (Keras'
 * `sparse_categorical_accuracy`). Named `acc` so the history reports `acc`
 * and `val_acc`.
 *
 * @param labels Integer class ids, shape `[batch]` or `[batch, 1]`.
 * @param logits Scores or probabilities, shape `[batch, numClasses]`.
 * @returns Accuracy in [0, 1] as a scalar.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { acc } from "./cnn.ts";
 *
 * const a = acc(tf.tensor1d([1, 0]), tf.tensor2d([[0, 3], [0, 1]]));
 * assert.equal(a.dataSync()[0], 0.5);
 * ```
 */
export function acc(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const ids = tf.cast(tf.reshape(labels, [-1]), "int32");
    const predicted = tf.argMax(logits, -1);
    return tf.mean(tf.cast(tf.equal(predicted, ids), "float32")) as tf.Scalar;
  });
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create the tutorial CNN: ${name} must be a positive integer, received ${value}`,
    );
  }
}

/**
 * Builds and compiles the tutorial CNN (Adam, sparse categorical
 * cross-entropy on logits, accuracy metric `acc`).
 *
 * @param options Classes, image size, augmentation, dropout, learning rate, seed.
 * @returns A compiled `tf.Sequential` whose output is logits `[batch, numClasses]`.
 * @throws {RangeError} When a size or count is not a positive integer, the
 *   dropout rate is outside [0, 1), or the learning rate is not positive.
 *
 * @example The flower model has 3,989,285 weights at 180×180
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "./cnn.ts";
 *
 * const model = createTutorialCnn({ numClasses: 5, imageSize: [180, 180] });
 * assert.equal(model.countParams(), 3_989_285);
 * model.dispose();
 * ```
 */
export function createTutorialCnn(
  options: TutorialCnnOptions = {},
): tf.Sequential {
  const {
    numClasses = 5,
    imageSize = [180, 180],
    channels = 3,
    augment = false,
    dropout = 0,
    learningRate = DEFAULT_LEARNING_RATE,
    seed = 0,
  } = options;
  checkPositiveInteger("numClasses", numClasses);
  checkPositiveInteger("imageSize[0]", imageSize[0]);
  checkPositiveInteger("imageSize[1]", imageSize[1]);
  checkPositiveInteger("channels", channels);
  if (!(dropout >= 0 && dropout < 1)) {
    throw new RangeError(
      `Cannot create the tutorial CNN: dropout must be in [0, 1), received ${dropout}`,
    );
  }
  if (!(learningRate > 0)) {
    throw new RangeError(
      `Cannot create the tutorial CNN: learningRate must be > 0, received ${learningRate}`,
    );
  }
  if (!Number.isInteger(seed)) {
    throw new TypeError(
      `Cannot create the tutorial CNN: seed must be an integer, received ${seed}`,
    );
  }
  const inputShape = [imageSize[0], imageSize[1], channels];
  // Each layer with weights gets its own seed, so one model seed fixes the
  // whole initialisation.
  let nextSeed = seed * 1000;
  const init = () => tf.initializers.glorotUniform({ seed: nextSeed++ });

  const model = tf.sequential({ name: "tutorial_cnn" });
  if (augment) {
    model.add(randomFlip({ mode: "horizontal", seed, inputShape }));
    model.add(randomRotation({ factor: AUGMENT_ROTATION, seed }));
    model.add(randomZoom({ heightFactor: AUGMENT_ZOOM, seed }));
  }
  model.add(tf.layers.rescaling({
    scale: PIXEL_SCALE,
    ...(augment ? {} : { inputShape }),
  }));
  for (const filters of CONV_FILTERS) {
    model.add(tf.layers.conv2d({
      filters,
      kernelSize: KERNEL_SIZE,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(),
    }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  }
  if (dropout > 0) {
    // Dropout zeroes a random fraction of activations while training, so no
    // unit can rely on one particular other unit. (Not tfjs' seeded dropout,
    // which draws the same mask at every step; see dropout.ts.)
    model.add(seededDropout({ rate: dropout, seed }));
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({
    units: DENSE_UNITS,
    activation: "relu",
    kernelInitializer: init(),
  }));
  model.add(tf.layers.dense({ units: numClasses, kernelInitializer: init() }));
  compileClassifier(model, learningRate);
  return model;
}

/**
 * Compiles a classifier that outputs logits with Adam, the sparse
 * cross-entropy from logits and the `acc` metric (used again after loading a
 * saved model).
 *
 * @param model The model to compile (in place).
 * @param learningRate Adam's step size.
 * @param options Another optimizer, label smoothing.
 * @returns Nothing.
 * @throws {RangeError} When `learningRate` is not positive or
 *   `labelSmoothing` is outside [0, 1).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { compileClassifier } from "./cnn.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
 * compileClassifier(model);
 * assert.ok(model.optimizer);
 * ```
 */
export function compileClassifier(
  model: tf.LayersModel,
  learningRate = DEFAULT_LEARNING_RATE,
  options: CompileClassifierOptions = {},
): void {
  const { optimizer, labelSmoothing = 0 } = options;
  if (!(learningRate > 0)) {
    throw new RangeError(
      `Cannot compile the classifier: learningRate must be > 0, received ${learningRate}`,
    );
  }
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
    throw new RangeError(
      `Cannot compile the classifier: labelSmoothing must be in [0, 1), received ${labelSmoothing}`,
    );
  }
  model.compile({
    optimizer: optimizer ?? tf.train.adam(learningRate),
    loss: labelSmoothing > 0
      ? (labels: tf.Tensor, logits: tf.Tensor) =>
        sparseCategoricalCrossentropyFromLogits(labels, logits, labelSmoothing)
      : sparseCategoricalCrossentropyFromLogits,
    metrics: [acc],
  });
}

/** Options of {@linkcode compileClassifier}. */
export interface CompileClassifierOptions {
  /**
   * The optimizer; `learningRate` is then ignored.
   * @default {tf.train.adam(learningRate)}
   */
  optimizer?: tf.Optimizer;
  /**
   * Label smoothing of the loss (see
   * {@linkcode sparseCategoricalCrossentropyFromLogits}).
   * @default {0}
   */
  labelSmoothing?: number;
}

/**
 * The Keras-style table of a model's layers, output shapes and parameter
 * counts, as one string (print it, or show it in a notebook).
 *
 * @param model Any tfjs layers model.
 * @returns The summary text, ending with total/trainable parameter counts.
 * @throws {Error} When the model has not been built yet (tfjs' own error).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn, modelSummary } from "./cnn.ts";
 *
 * const text = modelSummary(createTutorialCnn({ numClasses: 2, imageSize: [16, 16], augment: true }));
 * assert.match(text, /Total params: /);
 * assert.match(text, /random_flip_RandomFlip\d+ \(RandomFlip\)/); // never cut
 * assert.ok(text.split("\n").every((line) => line.length <= 95));
 * ```
 */
export function modelSummary(model: tf.LayersModel): string {
  // Keras' columns, each as wide as its longest entry, so no layer name is
  // cut (tfjs' own summary uses fixed fractions of 90 characters).
  const shape = (l: tf.layers.Layer) => {
    try {
      return JSON.stringify(l.outputShape);
    } catch {
      return "multiple";
    }
  };
  const rows = model.layers.map((l) => [
    `${l.name} (${l.getClassName()})`,
    shape(l),
    String(l.countParams()),
  ]);
  const header = ["Layer (type)", "Output shape", "Param #"];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length)) + 2
  );
  const width = widths.reduce((a, b) => a + b) - 2;
  const row = (cells: string[]) =>
    cells.map((c, i) => c.padEnd(widths[i])).join("").trimEnd();
  const count = (weights: tf.LayerVariable[]) =>
    weights.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);
  const trainable = count(model.trainableWeights);
  const frozen = count(model.nonTrainableWeights);
  return [
    "_".repeat(width),
    row(header),
    "=".repeat(width),
    ...rows.flatMap((r, i) => [
      row(r),
      (i === rows.length - 1 ? "=" : "_").repeat(width),
    ]),
    `Total params: ${trainable + frozen}`,
    `Trainable params: ${trainable}`,
    `Non-trainable params: ${frozen}`,
    "_".repeat(width),
  ].join("\n");
}
