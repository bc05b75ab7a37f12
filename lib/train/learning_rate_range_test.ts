/**
 * The learning-rate range test (Smith, 2017; fast.ai's `lr_find`): train a
 * throwaway copy of a model for a few hundred steps while the learning rate
 * rises exponentially from tiny to huge, and watch the loss. At first the
 * rate is too small to change anything; then the loss falls, fastest where
 * the rate is about right; then the steps overshoot and the loss shoots up.
 * A good peak rate sits well below where the loss is lowest.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BatchSource } from "./batch_source.ts";
import type { TrainingCallback } from "./callbacks.ts";
import { learningRateScheduler } from "./schedule.ts";
import { trainModel } from "./train.ts";

/** Options of {@linkcode learningRateRangeTest}. */
export interface LearningRateRangeTestOptions {
  /**
   * The rate of the first step.
   * @default {1e-5}
   */
  minRate?: number;
  /**
   * The rate of the last step.
   * @default {1}
   */
  maxRate?: number;
  /**
   * Epochs of the test (its steps: epochs × the source's batches).
   * @default {2}
   */
  epochs?: number;
  /**
   * Weight of the past in the smoothed loss (an exponential moving average,
   * corrected for its start at 0): single batches are noisy.
   * @default {0.9}
   */
  smoothing?: number;
  /**
   * The suggested rate is the rate of the lowest smoothed loss divided by
   * this (fast.ai's rule of thumb: a tenth of it).
   * @default {10}
   */
  divisor?: number;
  /**
   * Who hears about progress (for example `trainingDisplay()`).
   * @default {[]}
   */
  callbacks?: TrainingCallback[];
}

/** What {@linkcode learningRateRangeTest} measured. */
export interface LearningRateRangeTest {
  /** The rate of each step. */
  rates: number[];
  /** The loss of each step's batch. */
  losses: number[];
  /** `losses`, smoothed. */
  smoothed: number[];
  /** The rate where the smoothed loss was lowest. */
  lowestLossRate: number;
  /** `lowestLossRate / divisor`: the peak rate the rule suggests. */
  suggested: number;
}

/**
 * Runs the range test on `model` (which it trains: pass a fresh copy, not
 * the model you mean to keep).
 *
 * @param model A compiled model whose optimizer has a learning rate.
 * @param train The training batches.
 * @param options The range of rates, the steps, the smoothing and the rule.
 * @returns Each step's rate and loss, the smoothed losses and the suggestion.
 * @throws {RangeError} When the rates, epochs, smoothing or divisor are out
 *   of range.
 * @throws {TrainingInterrupted} When a Stop ends it early.
 *
 * @example The loss of a tiny model over rising rates
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { learningRateRangeTest } from "./learning_rate_range_test.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [1] })] });
 * model.compile({ optimizer: "sgd", loss: "sparseCategoricalCrossentropy" });
 * const batch = () => ({ xs: tf.tensor2d([[1], [-1]]), ys: tf.tensor1d([0, 1]) });
 * const train = { numBatches: 10, toTfDataset: () => tf.data.array(Array.from({ length: 10 }, batch)) };
 * const test = await learningRateRangeTest(model, train, { minRate: 1e-3, maxRate: 1e2 });
 * assert.equal(test.rates.length, 20);
 * assert.ok(test.suggested === test.lowestLossRate / 10);
 * ```
 */
export async function learningRateRangeTest(
  model: tf.LayersModel,
  train: BatchSource,
  options: LearningRateRangeTestOptions = {},
): Promise<LearningRateRangeTest> {
  const {
    minRate = 1e-5,
    maxRate = 1,
    epochs = 2,
    smoothing = 0.9,
    divisor = 10,
    callbacks = [],
  } = options;
  const fail = (message: string): never => {
    throw new RangeError(`Cannot run the learning-rate range test: ${message}`);
  };
  if (!(minRate > 0 && maxRate > minRate && Number.isFinite(maxRate))) {
    fail(`need 0 < minRate < maxRate, received ${minRate} and ${maxRate}`);
  }
  if (!Number.isInteger(epochs) || epochs < 1) {
    fail(`epochs must be a positive integer, received ${epochs}`);
  }
  if (!(smoothing >= 0 && smoothing < 1)) {
    fail(`smoothing must be in [0, 1), received ${smoothing}`);
  }
  if (!(divisor >= 1)) fail(`divisor must be ≥ 1, received ${divisor}`);
  const steps = epochs * train.numBatches;
  const rateAt = (step: number) =>
    minRate * (maxRate / minRate) ** (step / Math.max(1, steps - 1));
  const rates: number[] = [];
  const losses: number[] = [];
  let step = 0;
  const recorder: TrainingCallback = {
    name: "learningRateRangeTest",
    onBatchEnd(_batch, metrics) {
      rates.push(rateAt(step++));
      losses.push(metrics.loss ?? NaN);
    },
  };
  await trainModel(model, train, {
    epochs,
    callbacks: [learningRateScheduler(rateAt), recorder, ...callbacks],
  });
  const smoothed: number[] = [];
  let average = 0;
  losses.forEach((loss, i) => {
    average = smoothing * average + (1 - smoothing) * loss;
    smoothed.push(average / (1 - smoothing ** (i + 1)));
  });
  // A loss that became NaN or infinite counts as the highest.
  let lowest = 0;
  smoothed.forEach((s, i) => {
    if (Number.isFinite(s) && !(s >= smoothed[lowest])) lowest = i;
  });
  const lowestLossRate = rates[lowest];
  return {
    rates,
    losses,
    smoothed,
    lowestLossRate,
    suggested: lowestLossRate / divisor,
  };
}
