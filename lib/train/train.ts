/**
 * The training loop: a wrapper around `model.fitDataset` that reports through
 * {@linkcode TrainingCallback}s (one line per epoch by default; the `viz`
 * stage's `trainingDisplay()` adds a progress bar and a live chart) and
 * returns the history with uniform names (`loss`, `acc`, `val_loss`,
 * `val_acc`).
 *
 * One epoch is one pass over the training batches; after it the model is
 * scored on the validation batches, which it never trains on. Validation
 * accuracy that stalls while training accuracy keeps rising is the sign of
 * overfitting the lesson is about.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type EpochMetrics,
  normalizeMetrics,
  type TrainingHistory,
} from "./history.ts";
import { epochLogger, type TrainingCallback } from "./callbacks.ts";
import { learningRateOf } from "./_learning_rate.ts";
import type { BatchSource } from "./batch_source.ts";
import { checkModelFitsData } from "./_model_fits_data.ts";
import {
  Interrupted,
  letInterruptIn,
  listenForInterrupt,
} from "../util/interrupt.ts";

/**
 * Thrown by {@linkcode trainModel} when an interrupt (Jupyter's Stop, Ctrl+C)
 * ended training at a step boundary: no step was cut in two, the model holds
 * the weights after `step` of epoch `epoch`, and `history` the epochs that
 * were complete.
 */
export class TrainingInterrupted extends Interrupted {
  /**
   * Where an interrupt stopped training.
   *
   * @param message Where training stopped and how to continue.
   * @param epoch The epoch that was cut short (1-based).
   * @param step The last complete step of that epoch (0 when none).
   * @param steps Steps per epoch.
   * @param history The complete epochs' history.
   */
  constructor(
    message: string,
    readonly epoch: number,
    readonly step: number,
    readonly steps: number,
    readonly history: TrainingHistory,
  ) {
    super(message);
    this.name = "TrainingInterrupted";
  }
}

/** Options of {@linkcode trainModel}. */
export interface TrainModelOptions {
  /**
   * The epoch to end after (1-based); with `initialEpoch` the run does
   * `epochs - initialEpoch` epochs, as in Keras.
   * @default {10}
   */
  epochs?: number;
  /**
   * Batches scored after each epoch; no validation when left out.
   * @default {undefined}
   */
  validation?: BatchSource;
  /**
   * Who hears about progress: epoch lines, progress bars, charts,
   * checkpoints. Pass `[]` for a silent run.
   * @default {[epochLogger()]}
   */
  callbacks?: TrainingCallback[];
  /**
   * Epochs already done (to continue a run); their history goes in `history`.
   * @default {0}
   */
  initialEpoch?: number;
  /**
   * The history of the epochs already done, continued by this run.
   * @default {undefined}
   */
  history?: TrainingHistory;
}

/**
 * Trains a compiled model on a batch source and reports as it goes.
 *
 * Tensor memory: `fitDataset` disposes every batch after its step, and the
 * progress callbacks only read plain numbers, so the number of live tensors
 * is the same before and after training (the model's weights and optimizer
 * state aside).
 *
 * @param model A compiled model (e.g. from `createTutorialCnn`).
 * @param train The training batches.
 * @param options Epochs, validation batches and callbacks.
 * @returns Loss and accuracy per epoch (and validation ones), epoch times,
 *   and the learning rate of each epoch (`lr`) when a callback changes it.
 * @throws {RangeError} When `epochs` is not a positive integer.
 * @throws {TypeError} When the model's outputs are not one per class of the
 *   data, or its fixed input size is not the images' size (sources with
 *   `describe()`, such as an `ImageDataset`).
 * @throws {TrainingInterrupted} When an interrupt (Jupyter's Stop, Ctrl+C)
 *   arrives before the last epoch ends: training stops after the step that
 *   runs, the epoch cut short is not recorded (no callback hears its end),
 *   `onInterrupt` callbacks are told, and the model stays usable (tfjs'
 *   training flag is cleared, so training can start again).
 *
 * @example Two epochs on a tiny in-memory dataset
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { trainModel } from "./train.ts";
 *
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
 * const data = {
 *   numBatches: 1,
 *   toTfDataset: () => tf.data.array([{ xs: tf.zeros([2, 8, 8, 3]), ys: tf.tensor1d([0, 1], "int32") }]),
 * };
 * const history = await trainModel(model, data, { epochs: 2, callbacks: [] });
 * assert.equal(history.loss.length, 2);
 * ```
 *
 * @example A model with fewer outputs than the data has classes is refused
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { trainModel } from "./train.ts";
 *
 * const data = {
 *   numBatches: 1,
 *   toTfDataset: () => tf.data.array([{ xs: tf.zeros([3, 8, 8, 3]), ys: tf.tensor1d([0, 1, 2]) }]),
 *   describe: () => ({
 *     classNames: ["a", "b", "c"], imageSize: [8, 8] as [number, number], samples: 3,
 *     batchSize: 3, shuffle: false, seed: 0, paths: ["a.png", "b.png", "c.png"], labels: [0, 1, 2],
 *   }),
 * };
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
 * await assert.rejects(trainModel(model, data, { callbacks: [] }), {
 *   name: "TypeError",
 *   message: "Cannot train model: it needs one output per class of the training data (3: a, b, c), else label 2 adds nothing to the loss; build it with numClasses: dataset.classNames.length, received a model with 2 outputs",
 * });
 * ```
 */
export async function trainModel(
  model: tf.LayersModel,
  train: BatchSource,
  options: TrainModelOptions = {},
): Promise<TrainingHistory> {
  const {
    epochs = 10,
    validation,
    callbacks = [epochLogger()],
    initialEpoch = 0,
  } = options;
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new RangeError(
      `Cannot train model: epochs must be a positive integer, received ${epochs}`,
    );
  }
  if (
    !Number.isInteger(initialEpoch) || initialEpoch < 0 ||
    initialEpoch > epochs
  ) {
    throw new RangeError(
      `Cannot train model: initialEpoch must be an integer in [0, epochs], received ${initialEpoch}`,
    );
  }
  checkModelFitsData(model, train, "training");
  if (validation) checkModelFitsData(model, validation, "validation");
  const history: TrainingHistory = structuredClone(
    options.history ?? { loss: [], acc: [], seconds: [] },
  );
  if (validation) {
    history.val_loss ??= [];
    history.val_acc ??= [];
  }
  const each = async (call: (callback: TrainingCallback) => unknown) => {
    for (const callback of callbacks) await call(callback);
  };
  // The rate is recorded when a callback changes it, or when the history
  // being continued already has it.
  const logLearningRate = history.lr !== undefined ||
    callbacks.some((c) => c.logsLearningRate);
  const wantsBatchBegin = callbacks.some((c) => c.onBatchBegin);
  await each((c) =>
    c.onTrainBegin?.({
      epochs,
      initialEpoch,
      numBatches: train.numBatches,
      history,
      model,
    })
  );
  // Stop (SIGINT) ends training after the step that runs, never inside one.
  const stop = listenForInterrupt();
  let epochNow = initialEpoch;
  let stepNow = 0;
  let cutShort = false;
  try {
    if (initialEpoch < epochs) {
      let epochStart = 0;
      await model.fitDataset(train.toTfDataset(initialEpoch), {
        epochs,
        initialEpoch,
        // No batchesPerEpoch: tfjs then asks the dataset for a fresh iterator
        // every epoch, which is when ImageDataset reshuffles.
        validationData: validation?.toTfDataset(initialEpoch),
        verbose: 0,
        callbacks: {
          // tfjs counts epochs and batches from 0; callbacks hear them from 1.
          onEpochBegin: async (epoch) => {
            epochStart = performance.now();
            epochNow = epoch + 1;
            stepNow = 0;
            await each((c) => c.onEpochBegin?.(epoch + 1));
          },
          onBatchBegin: wantsBatchBegin
            ? async (batch) => {
              await each((c) => c.onBatchBegin?.(batch + 1));
            }
            : undefined,
          onBatchEnd: async (batch, logs) => {
            stepNow = batch + 1;
            const metrics: EpochMetrics = normalizeMetrics(logs);
            await each((c) => c.onBatchEnd?.(batch + 1, metrics));
            // Between steps tfjs only awaits promises, so a signal would wait
            // for the epoch's end.
            await letInterruptIn();
            // tfjs checks this flag after each step: the epoch ends here,
            // without its validation.
            if (stop.interrupted) {
              cutShort = true;
              model.stopTraining = true;
            }
          },
          onEpochEnd: async (epoch, logs) => {
            // An epoch cut short by an interrupt is not an epoch: no history
            // entry, no checkpoint.
            if (cutShort) return;
            const metrics = normalizeMetrics(logs);
            for (const [key, value] of Object.entries(metrics)) {
              (history[key as keyof EpochMetrics] ??= []).push(value);
            }
            history.seconds.push((performance.now() - epochStart) / 1000);
            // The rate this epoch's last batch used, before any callback
            // (reduce-on-plateau) changes it for the next epoch.
            const lr = logLearningRate ? learningRateOf(model) : undefined;
            if (lr !== undefined) (history.lr ??= []).push(lr);
            let stopEarly = false;
            await each(async (c) => {
              if ((await c.onEpochEnd?.(epoch + 1, history)) === "stop") {
                stopEarly = true;
                // Set at once, so later callbacks (a checkpoint) see it.
                model.stopTraining = true;
              }
            });
            if (stopEarly) model.stopTraining = true;
            // An interrupt during validation or the callbacks: the epoch is
            // complete and recorded; the next one does not start.
            if (stop.interrupted && epoch + 1 < epochs) {
              cutShort = true;
              epochNow = epoch + 2;
              stepNow = 0;
              model.stopTraining = true;
            }
          },
        },
      });
    }
  } finally {
    stop.close();
    // An epoch cut short leaves its batch iterator open (tfjs never finishes
    // it); its reading thread ends here.
    if (cutShort) await train.endIterations?.();
  }
  if (cutShort) {
    const done = history.loss.length;
    const info = {
      epoch: epochNow,
      step: stepNow,
      steps: train.numBatches,
      history,
    };
    await each((c) => c.onInterrupt?.(info));
    throw new TrainingInterrupted(
      `Training stopped by an interrupt in epoch ${epochNow} of ${epochs}${
        stepNow > 0
          ? `, after step ${stepNow} of ${train.numBatches}`
          : ", before its first step"
      }: the model holds the weights of that step (tfjs is ready to train again); the history holds the ${done} complete epoch${
        done === 1 ? "" : "s"
      }`,
      epochNow,
      stepNow,
      train.numBatches,
      history,
    );
  }
  await each((c) => c.onTrainEnd?.(history));
  return history;
}
