/**
 * Learning-rate schedules: the step size as a function of the global step
 * (the batch index counted over the whole run from 0, so a resumed run
 * carries on where it stopped), and the callback that applies one before
 * every batch.
 *
 * Why schedule at all: a large step early moves fast across the loss
 * surface, a small one late settles into a minimum instead of bouncing
 * around it. Warm-up (a few hundred steps of a rising rate) keeps Adam's
 * first, noisy moment estimates from throwing the weights far off.
 *
 * @module
 */
import type { TrainingCallback } from "./callbacks.ts";
import { requireModel, setLearningRate } from "./_learning_rate.ts";
import type * as tf from "@tensorflow/tfjs";

/** A learning rate per global step (0 = the first batch of the run). */
export type LearningRateSchedule = (step: number) => number;

function checkRate(fn: string, name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot create ${fn}: ${name} must be a finite number >= 0, received ${value}`,
    );
  }
}

function checkSteps(fn: string, name: string, value: number, min: number) {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create ${fn}: ${name} must be an integer >= ${min}, received ${value}`,
    );
  }
}

/**
 * The same rate at every step.
 *
 * @param lr The rate.
 * @returns The schedule.
 * @throws {RangeError} When `lr` is negative or not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { constantSchedule } from "./schedule.ts";
 *
 * assert.equal(constantSchedule(0.001)(500), 0.001);
 * ```
 */
export function constantSchedule(lr: number): LearningRateSchedule {
  checkRate("constantSchedule", "lr", lr);
  return () => lr;
}

/** Options of {@linkcode stepDecay}. */
export interface StepDecayOptions {
  /** The rate of the first `decayEvery` steps. */
  initial: number;
  /** Steps between two decays. */
  decayEvery: number;
  /**
   * What the rate is multiplied by every `decayEvery` steps.
   * @default {0.1}
   */
  factor?: number;
}

/**
 * A staircase: `initial · factor^floor(step / decayEvery)` (Keras'
 * `ExponentialDecay(staircase=True)`).
 *
 * @param options Initial rate, steps per stair and factor.
 * @returns The schedule.
 * @throws {RangeError} When a rate is negative or `decayEvery` is not a positive integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepDecay } from "./schedule.ts";
 *
 * const lr = stepDecay({ initial: 0.1, decayEvery: 100, factor: 0.5 });
 * assert.deepEqual([lr(0), lr(99), lr(100), lr(250)], [0.1, 0.1, 0.05, 0.025]);
 * ```
 */
export function stepDecay(options: StepDecayOptions): LearningRateSchedule {
  const { initial, decayEvery, factor = 0.1 } = options;
  checkRate("stepDecay", "initial", initial);
  checkRate("stepDecay", "factor", factor);
  checkSteps("stepDecay", "decayEvery", decayEvery, 1);
  return (step) => initial * factor ** Math.floor(step / decayEvery);
}

/** Options of {@linkcode warmupCosineDecay}. */
export interface WarmupCosineDecayOptions {
  /** The rate at the end of the warm-up, where the cosine starts. */
  peak: number;
  /** Steps of the linear warm-up from `initial` to `peak` (0: none). */
  warmupSteps: number;
  /** Steps of the cosine from `peak` down to `peak · alpha`. */
  decaySteps: number;
  /**
   * The final rate as a fraction of `peak`.
   * @default {0}
   */
  alpha?: number;
  /**
   * The rate at step 0, where the warm-up starts.
   * @default {0}
   */
  initial?: number;
}

/**
 * Linear warm-up, then cosine decay (Keras' `CosineDecay` with
 * `warmup_target`): from `initial` to `peak` over `warmupSteps`, then
 * `peak · ((1 - alpha) · ½(1 + cos(π · t / decaySteps)) + alpha)` for
 * `t = step - warmupSteps` up to `decaySteps`, and `peak · alpha` after.
 *
 * @param options Peak, warm-up and decay lengths, final fraction, start.
 * @returns The schedule.
 * @throws {RangeError} When a rate is negative or a length is not an integer (`decaySteps` ≥ 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warmupCosineDecay } from "./schedule.ts";
 *
 * const lr = warmupCosineDecay({ peak: 0.01, warmupSteps: 10, decaySteps: 100 });
 * assert.equal(lr(5), 0.005); // halfway up
 * assert.equal(lr(10), 0.01); // the peak
 * assert.ok(Math.abs(lr(60) - 0.005) < 1e-12); // halfway down the cosine
 * assert.equal(lr(1000), 0); // past the end
 * ```
 */
export function warmupCosineDecay(
  options: WarmupCosineDecayOptions,
): LearningRateSchedule {
  const { peak, warmupSteps, decaySteps, alpha = 0, initial = 0 } = options;
  const fn = "warmupCosineDecay";
  checkRate(fn, "peak", peak);
  checkRate(fn, "initial", initial);
  checkRate(fn, "alpha", alpha);
  checkSteps(fn, "warmupSteps", warmupSteps, 0);
  checkSteps(fn, "decaySteps", decaySteps, 1);
  return (step) => {
    const s = Math.min(step, warmupSteps + decaySteps);
    if (s < warmupSteps) {
      return initial + (peak - initial) * (s / warmupSteps);
    }
    const cosine = 0.5 *
      (1 + Math.cos(Math.PI * (s - warmupSteps) / decaySteps));
    return peak * ((1 - alpha) * cosine + alpha);
  };
}

/**
 * A callback that sets the optimizer's learning rate from a schedule before
 * every batch (Keras' `LearningRateScheduler`, per step instead of per
 * epoch). The global step is `(epoch - 1) · numBatches + (batch - 1)`, a
 * function of the position in the run, so a resumed run (`initialEpoch`)
 * continues the schedule. The rate is set before the batch's update (through
 * the optimizer's `setLearningRate()` where it has one, as SGD does), the
 * fast backend's fused Adam step included, so it applies to that very batch. `trainModel` records the rate of each
 * epoch's last batch in `history.lr`.
 *
 * @param schedule The rate per global step.
 * @returns The callback, for `trainModel`'s `callbacks`.
 * @throws {TypeError} (when training starts) When the model's optimizer has no learning rate.
 *
 * @example Halve the rate every batch
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { learningRateScheduler } from "./schedule.ts";
 * import { trainModel } from "./train.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
 * model.compile({ optimizer: "adam", loss: "sparseCategoricalCrossentropy", metrics: ["acc"] });
 * const batch = () => ({ xs: tf.ones([2, 3]), ys: tf.tensor1d([0, 1]) });
 * const train = { numBatches: 2, toTfDataset: () => tf.data.array([batch(), batch()]) };
 * const callbacks = [learningRateScheduler((step) => 0.1 / 2 ** step)];
 * const history = await trainModel(model, train, { epochs: 2, callbacks });
 * assert.deepEqual(history.lr, [0.05, 0.0125]);
 * ```
 */
export function learningRateScheduler(
  schedule: LearningRateSchedule,
): TrainingCallback {
  const what = "schedule the learning rate";
  let model: tf.LayersModel | undefined;
  let numBatches = 0;
  let epoch = 1;
  return {
    name: "learningRateScheduler",
    logsLearningRate: true,
    onTrainBegin(info) {
      model = requireModel(info.model, what);
      numBatches = info.numBatches;
      setLearningRate(model, schedule(info.initialEpoch * numBatches), what);
    },
    onEpochBegin(e) {
      epoch = e;
    },
    onBatchBegin(batch) {
      const step = (epoch - 1) * numBatches + (batch - 1);
      setLearningRate(model!, schedule(step), what);
    },
  };
}
