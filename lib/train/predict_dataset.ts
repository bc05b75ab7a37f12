/**
 * Every photo's prediction, in the dataset's own order: which class won, how
 * sure the model was, and what the loss on that photo is. The accuracy is one
 * number; these rows let a notebook look at *which* photos go wrong and how
 * confidently (the over-confidence lesson).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** What {@linkcode predictDataset} reads: images by index and their labels. */
export interface IndexedImages {
  /** Number of samples. */
  size: number;
  /** `[height, width]` of every image. */
  imageSize: [number, number];
  /** Class index of each sample. */
  labels: ArrayLike<number>;
  /** RGB pixels (0-255) of sample `i`. */
  image(i: number): Uint8Array;
}

/** The model's answer on one photo. */
export interface PhotoPrediction {
  /** Index of the photo in the dataset. */
  index: number;
  /** The true class. */
  label: number;
  /** The class with the highest probability. */
  predicted: number;
  /** Probability of the predicted class, in [0, 1]. */
  confidence: number;
  /** Probability given to the true class, in [0, 1]. */
  trueProbability: number;
  /** Cross-entropy on this photo, −log(trueProbability). */
  loss: number;
}

/** Options of {@linkcode predictDataset}. */
export interface PredictDatasetOptions {
  /**
   * Photos per forward pass.
   * @default {32}
   */
  batchSize?: number;
}

/**
 * Runs the model in inference mode (augmentation and dropout off) on every
 * photo, in index order, and returns one row per photo.
 *
 * @param model A classifier that outputs logits, one per class.
 * @param data The photos and their labels (an `ImageDataset` fits).
 * @param options Batch size.
 * @returns One {@linkcode PhotoPrediction} per photo, `rows[i].index === i`.
 * @throws {RangeError} When `batchSize` is not a positive integer.
 *
 * @example A fixed model that always prefers class 1
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { predictDataset } from "./predict_dataset.ts";
 *
 * const input = tf.input({ shape: [1, 1, 3] });
 * const flat = tf.layers.flatten().apply(input);
 * const logits = tf.layers.dense({
 *   units: 2, useBias: true, weights: [tf.zeros([3, 2]), tf.tensor1d([0, Math.log(3)])],
 * }).apply(flat) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: input, outputs: logits });
 * const data = {
 *   size: 2, imageSize: [1, 1] as [number, number], labels: [0, 1],
 *   image: () => new Uint8Array(3),
 * };
 * const rows = await predictDataset(model, data);
 * assert.deepEqual(rows.map((r) => r.predicted), [1, 1]);
 * assert.ok(Math.abs(rows[0].confidence - 0.75) < 1e-6);
 * assert.ok(Math.abs(rows[0].loss + Math.log(0.25)) < 1e-5);
 * ```
 */
export async function predictDataset(
  model: tf.LayersModel,
  data: IndexedImages,
  options: PredictDatasetOptions = {},
): Promise<PhotoPrediction[]> {
  const { batchSize = 32 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot predict dataset: batchSize must be a positive integer, received ${batchSize}`,
    );
  }
  const [h, w] = data.imageSize;
  const pixels = h * w * 3;
  const rows: PhotoPrediction[] = [];
  for (let start = 0; start < data.size; start += batchSize) {
    const count = Math.min(batchSize, data.size - start);
    const batch = new Float32Array(count * pixels);
    for (let i = 0; i < count; i++) {
      batch.set(data.image(start + i), i * pixels);
    }
    // tidy frees the input and the logits; only the probabilities come back.
    const probabilities = tf.tidy(() =>
      tf.softmax(
        model.predict(tf.tensor4d(batch, [count, h, w, 3])) as tf.Tensor2D,
      )
    );
    const values = await probabilities.array() as number[][];
    probabilities.dispose();
    values.forEach((p, i) => {
      const index = start + i;
      const label = data.labels[index];
      const predicted = p.indexOf(Math.max(...p));
      rows.push({
        index,
        label,
        predicted,
        confidence: p[predicted],
        trueProbability: p[label],
        loss: -Math.log(Math.max(p[label], Number.MIN_VALUE)),
      });
    });
  }
  return rows;
}
