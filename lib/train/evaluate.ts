/**
 * Measuring a trained classifier: accuracy, the confusion matrix, accuracy per
 * class, and the top-k classes for one image (a file, a URL or bytes).
 *
 * Accuracy alone hides which classes are confused with which; the confusion
 * matrix counts, for every true class (row), how often each class was
 * predicted (column), so the mistakes become visible.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { loadImage } from "../dataset/load_image.ts";

/** A labelled dataset that yields batches (an `ImageDataset` fits). */
export interface LabelledBatches {
  /** Class names, index = label. */
  classNames: string[];
  /** Batches of float32 images and int32 labels; the caller disposes them. */
  batches(epoch?: number): Iterable<{ xs: tf.Tensor; ys: tf.Tensor }>;
}

/** What {@linkcode evaluateClassifier} measured. */
export interface Evaluation {
  /** Fraction of images whose top class is the true class. */
  accuracy: number;
  /** `confusion[trueClass][predictedClass]` counts. */
  confusion: number[][];
  /** For each class, the fraction of its images predicted correctly (NaN if it has none). */
  perClassAccuracy: number[];
  /** Class names, index = label. */
  classNames: string[];
  /** Number of images evaluated. */
  count: number;
}

/**
 * Counts (true class, predicted class) pairs.
 *
 * @param labels True class of each sample.
 * @param predictions Predicted class of each sample.
 * @param numClasses Number of classes.
 * @returns `matrix[trueClass][predictedClass]`.
 * @throws {RangeError} When the lengths differ or a class id is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { confusionMatrix } from "./evaluate.ts";
 *
 * assert.deepEqual(confusionMatrix([0, 1, 1], [0, 0, 1], 2), [[1, 0], [1, 1]]);
 * ```
 */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClasses: number,
): number[][] {
  if (labels.length !== predictions.length) {
    throw new RangeError(
      `Cannot build confusion matrix: labels and predictions must have the same length, received ${labels.length} and ${predictions.length}`,
    );
  }
  const matrix = Array.from(
    { length: numClasses },
    () => new Array<number>(numClasses).fill(0),
  );
  for (let i = 0; i < labels.length; i++) {
    const [t, p] = [labels[i], predictions[i]];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) {
      throw new RangeError(
        `Cannot build confusion matrix: class ids must be in [0, ${numClasses}), received ${t} and ${p} at index ${i}`,
      );
    }
    matrix[t][p]++;
  }
  return matrix;
}

/**
 * Overall and per-class accuracy from a confusion matrix.
 *
 * @param confusion `confusion[trueClass][predictedClass]` counts.
 * @returns `accuracy` (trace / total) and `perClass` (diagonal / row sum).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracyFromConfusion } from "./evaluate.ts";
 *
 * assert.deepEqual(accuracyFromConfusion([[3, 1], [0, 4]]), { accuracy: 7 / 8, perClass: [0.75, 1] });
 * ```
 */
export function accuracyFromConfusion(
  confusion: number[][],
): { accuracy: number; perClass: number[] } {
  let correct = 0;
  let total = 0;
  const perClass = confusion.map((row, t) => {
    const n = row.reduce((a, b) => a + b, 0);
    correct += row[t];
    total += n;
    return n > 0 ? row[t] / n : NaN;
  });
  return { accuracy: total > 0 ? correct / total : NaN, perClass };
}

/**
 * Runs the model over every batch (at inference: augmentation and dropout
 * off) and measures accuracy, the confusion matrix and per-class accuracy.
 *
 * @param model A classifier whose output has one score per class.
 * @param data Batches with int labels and the class names.
 * @returns The measurements.
 * @throws {RangeError} When the model's outputs do not match the class count.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { evaluateClassifier } from "./evaluate.ts";
 *
 * // A "model" that always answers class 1.
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [1],
 *   weights: [tf.tensor2d([[0, 0]]), tf.tensor1d([0, 1])] })] });
 * const data = { classNames: ["a", "b"], *batches() {
 *   yield { xs: tf.tensor2d([[1], [2]]), ys: tf.tensor1d([0, 1], "int32") }; } };
 * const result = await evaluateClassifier(model, data);
 * assert.equal(result.accuracy, 0.5);
 * ```
 */
export async function evaluateClassifier(
  model: tf.LayersModel,
  data: LabelledBatches,
): Promise<Evaluation> {
  const numClasses = data.classNames.length;
  const outputs = model.outputs[0].shape.at(-1);
  if (outputs !== numClasses) {
    throw new RangeError(
      `Cannot evaluate classifier: the model has ${outputs} outputs but the data has ${numClasses} classes, received ${
        data.classNames.join(", ")
      }`,
    );
  }
  const labels: number[] = [];
  const predictions: number[] = [];
  for (const { xs, ys } of data.batches()) {
    // The argmax of the logits is the predicted class; tidy frees the logits.
    const predicted = tf.tidy(() =>
      tf.argMax(model.predict(xs) as tf.Tensor, -1)
    );
    predictions.push(...await predicted.data());
    labels.push(...await ys.data());
    tf.dispose([xs, ys, predicted]);
  }
  const confusion = confusionMatrix(labels, predictions, numClasses);
  const { accuracy, perClass } = accuracyFromConfusion(confusion);
  return {
    accuracy,
    confusion,
    perClassAccuracy: perClass,
    classNames: data.classNames,
    count: labels.length,
  };
}

/** One class of {@linkcode predictImage}'s answer. */
export interface ClassProbability {
  /** Class name. */
  className: string;
  /** Class index. */
  index: number;
  /** Softmax probability in [0, 1]. */
  probability: number;
}

/** Options of {@linkcode predictImage}. */
export interface PredictImageOptions {
  /** Class names, index = output unit. */
  classNames: string[];
  /**
   * How many of the most likely classes to return.
   * @default {3}
   */
  k?: number;
}

/**
 * Predicts the `k` most likely classes for one image: decodes it, resizes
 * it to the model's input size (bilinear, as the dataset loader does) and
 * turns the logits into probabilities with softmax.
 *
 * @param model A classifier taking `[1, height, width, 3]` pixels in 0..255 and returning logits.
 * @param image A file path, an http(s)/file URL, or the file's bytes.
 * @param options Class names and k.
 * @returns The top-k classes, most likely first.
 * @throws {TypeError} When the data is not an image (from the decoder), naming the image.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {RangeError} When the class names do not match the model's outputs.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { predictImage } from "./evaluate.ts";
 *
 * const model = tf.sequential({ layers: [
 *   tf.layers.flatten({ inputShape: [2, 2, 3] }), tf.layers.dense({ units: 2 })] });
 * const png = encode({ width: 3, height: 3, data: new Uint8Array(27), channels: 3 });
 * const top = await predictImage(model, png, { classNames: ["a", "b"], k: 1 });
 * assert.equal(top.length, 1);
 * ```
 */
export async function predictImage(
  model: tf.LayersModel,
  image: string | URL | Uint8Array,
  options: PredictImageOptions,
): Promise<ClassProbability[]> {
  const { classNames, k = 3 } = options;
  const [, height, width] = model.inputs[0].shape as number[];
  const outputs = model.outputs[0].shape.at(-1);
  if (outputs !== classNames.length) {
    throw new RangeError(
      `Cannot predict image: the model has ${outputs} outputs but ${classNames.length} class names were given, received ${
        classNames.join(", ")
      }`,
    );
  }
  const { data: pixels } = await loadImage(image, { size: [height, width] });
  const probabilities = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(pixels), [1, height, width, 3]);
    return tf.softmax(model.predict(x) as tf.Tensor2D);
  });
  const values = Array.from(await probabilities.data());
  probabilities.dispose();
  return values
    .map((probability, index) => ({
      className: classNames[index],
      index,
      probability,
    }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, Math.max(0, k));
}
