/**
 * What training reads: a source of `{xs, ys}` batches (an `ImageDataset`
 * fits), and the description a source gives of itself so training can check
 * that the model fits the data (one output per class, the image size it was
 * built for) and a checkpoint can tell whether it comes from a run on the
 * same data.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/**
 * What a batch source says about its samples (`ImageDataset.describe()`).
 * Every field is required, so renaming one on either side is a type error,
 * not a setting silently left out of a checkpoint's fingerprint.
 */
export interface BatchSourceDescription {
  /** Class names, index = label: a classifier needs one output per class. */
  classNames: string[];
  /** `[height, width]` of every image. */
  imageSize: [number, number];
  /** Number of samples. */
  samples: number;
  /** Images per batch. */
  batchSize: number;
  /** Whether batches are reshuffled every epoch. */
  shuffle: boolean;
  /** Seed of the per-epoch shuffles. */
  seed: number;
  /** Source file of each sample, in sample order. */
  paths: string[];
  /** Label of each sample (an index into `classNames`). */
  labels: ArrayLike<number>;
}

/**
 * A source of training batches (an `ImageDataset` fits).
 *
 * @example An in-memory source of one batch
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import type { BatchSource } from "./batch_source.ts";
 *
 * const source: BatchSource = {
 *   numBatches: 1,
 *   toTfDataset: () => tf.data.array([{ xs: tf.zeros([2, 3]), ys: tf.tensor1d([0, 1]) }]),
 * };
 * const batches = await source.toTfDataset().toArray();
 * assert.deepEqual(batches[0].xs.shape, [2, 3]);
 * ```
 */
export interface BatchSource {
  /** Batches per epoch. */
  numBatches: number;
  /**
   * A tf.data dataset of `{xs, ys}` batches, reshuffled each epoch; a
   * resumed run passes its `initialEpoch`, so the shuffles continue as if it
   * had never stopped (`ImageDataset.toTfDataset(firstEpoch)`).
   */
  toTfDataset(
    firstEpoch?: number,
  ): tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
  /**
   * What the batches are. Without it training cannot check the model's
   * outputs against the classes, and a checkpoint's fingerprint knows the
   * source only by its number of batches.
   */
  describe?(): BatchSourceDescription;
  /**
   * Ends every iteration still open: an epoch that training left unfinished
   * (an interrupt) never reaches the end of its batches, and a source that
   * reads ahead in a thread ends that thread here.
   */
  endIterations?(): Promise<void>;
}
